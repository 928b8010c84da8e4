"""`recto backup` → `recto restore` into a fresh database → `recto projections rebuild`: the
same log and the same read models, and a stack started on the restored database carries on."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from infra.eventstore import asyncpg_dsn
from infra.testing.databases import clone_database, drop_database, run_in_fresh_loop
from infra.testing.databases import with_database as database_of
from infra.testing.patience import patient
from recto.client import GatewayClient, GatewayError
from recto.sample.pages import generated_pages
from recto.stack import running_stack

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

DEADLINE = patient(240.0)
READ_MODELS = ("gw_corpora", "gw_manuscripts", "gw_pages", "gw_jobs", "gw_job_pages")
STACK_ENV = {"RECTO_AUTH": "off"}


def scratch_dir(name: str) -> Path:
    # Under /tmp and world-traversable: the embedded PostgreSQL runs as nobody when root.
    folder = Path(tempfile.mkdtemp(prefix=f"recto-{name}-", dir="/tmp"))
    folder.chmod(0o755)
    return folder


def recto(*args: str, database_url: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "recto", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "RECTO_DATABASE_URL": database_url, "COLUMNS": "300", **env},
        timeout=DEADLINE,
        check=False,
    )


def fetch(database_url: str, query: str) -> list[dict[str, Any]]:
    async def run() -> list[dict[str, Any]]:
        connection = await asyncpg.connect(asyncpg_dsn(database_url))
        try:
            return [dict(row) for row in await connection.fetch(query)]
        finally:
            await connection.close()

    return run_in_fresh_loop(run)


def events(database_url: str) -> list[dict[str, Any]]:
    return fetch(
        database_url,
        "SELECT position, event_id, stream_id, stream_version, type, schema_version,"
        " data, metadata, recorded_at FROM events ORDER BY position",
    )


def read_models(database_url: str) -> dict[str, list[dict[str, Any]]]:
    return {
        table: fetch(database_url, f"SELECT * FROM {table} ORDER BY 1, 2") for table in READ_MODELS
    }


def wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + DEADLINE
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def import_pages(client: GatewayClient, folder: Path, count: int) -> str:
    """Upload `count` generated pages as one manuscript; the job's id once it is done."""
    folder.mkdir()
    for page in generated_pages(count):
        (folder / f"{page.name}.png").write_bytes(page.data)
    corpus_id = client.ensure_corpus("letters", "Letters")
    accepted = client.upload_images(corpus_id, sorted(folder.iterdir()), label=folder.name)
    job_id = str(accepted["job_id"])
    wait_for(lambda: job_status(client, job_id) not in (None, "pending", "running"), "the job")
    assert client.job(job_id)["status"] == "done", client.job(job_id)
    return job_id


def job_status(client: GatewayClient, job_id: str) -> str | None:
    """None until the read model has the job (it follows the log)."""
    try:
        return str(client.job(job_id)["status"])
    except GatewayError:
        return None


@pytest.fixture
def fresh_database(postgres_admin_url: str, template_database: str) -> Iterator[str]:
    name = clone_database(postgres_admin_url, template_database)
    yield database_of(postgres_admin_url, name)
    drop_database(postgres_admin_url, name)


@pytest.mark.timeout(900)
def test_a_restored_log_rebuilds_the_same_read_models_and_recto_carries_on(
    database_url: str, fresh_database: str, tmp_path: Path
) -> None:
    # A job through the whole stack, on a database of the test session's PostgreSQL.
    state_dir = scratch_dir("backup")
    with running_stack(
        state_dir, analyzers=1, database_url=database_url, extra_env=STACK_ENV
    ) as stack:
        client = GatewayClient(stack.gateway_url)
        first_job = import_pages(client, tmp_path / "first", 2)
        first_job_read = client.job(first_job)
        # Read models settle once the projector has passed the job's last events.
        wait_for(lambda: stack.readiness()["gateway"].ready, "the read models")
        backup_file = tmp_path / "recto.jsonl.gz"
        written = recto("backup", str(backup_file), database_url=database_url)
        assert written.returncode == 0, written.stderr
    original_events = events(database_url)
    original_models = read_models(database_url)
    assert all(original_models.values()), original_models

    # The file: a header with counts, every event in order, the artifacts they reference.
    with gzip.open(backup_file, "rt") as file:
        lines = [json.loads(line) for line in file]
    header, body = lines[0], lines[1:]
    assert header["format"] == "recto-event-log"
    assert header["version"] == 1
    assert header["events"] == len(original_events) > 0
    assert [line["event_id"] for line in body if "event_id" in line] == [
        str(e["event_id"]) for e in original_events
    ]
    artifacts = [line["artifact"] for line in body if "artifact" in line]
    assert len(artifacts) == header["artifacts"] > 0
    assert f"{len(original_events)} events" in written.stdout

    # A damaged backup restores nothing: the restore is one transaction.
    damaged = tmp_path / "damaged.jsonl.gz"
    damaged.write_bytes(backup_file.read_bytes()[: backup_file.stat().st_size // 2])
    refused = recto("restore", str(damaged), database_url=fresh_database)
    assert refused.returncode == 1
    assert "is damaged" in refused.stdout, refused.stdout + refused.stderr
    assert events(fresh_database) == []

    # Restore into a fresh database: every event back, in order, with the same everything
    # but its position; the referenced artifacts are found in the artifact store.
    restored = recto(
        "restore",
        str(backup_file),
        database_url=fresh_database,
        RECTO_ARTIFACTS=str(state_dir / "artifacts"),
    )
    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert f"{len(original_events)} events restored" in restored.stdout
    assert f"{len(artifacts)} artifacts referenced, {len(artifacts)} of them in" in restored.stdout
    copied = events(fresh_database)
    assert [{**e, "position": None} for e in copied] == [
        {**e, "position": None} for e in original_events
    ]
    relay = fetch(fresh_database, "SELECT position FROM checkpoints WHERE consumer = 'relay'")
    assert relay == [{"position": copied[-1]["position"]}]

    # A second restore into the same database is refused; nothing changes.
    again = recto("restore", str(backup_file), database_url=fresh_database)
    assert again.returncode == 1
    assert "the event store holds events" in again.stdout
    assert len(events(fresh_database)) == len(copied)

    # Rebuilt from the restored log, the read models equal the originals row by row.
    rebuilt = recto("projections", "rebuild", database_url=fresh_database)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert read_models(fresh_database) == original_models

    # Recto runs on the restored database: the old job reads the same, a new one completes,
    # and nothing of the history is handled a second time (its streams do not grow).
    versions_before = stream_versions(fresh_database)
    with running_stack(
        scratch_dir("restored"), analyzers=1, database_url=fresh_database, extra_env=STACK_ENV
    ) as stack:
        client = GatewayClient(stack.gateway_url)
        assert client.job(first_job) == first_job_read
        import_pages(client, tmp_path / "second", 1)
    versions_after = stream_versions(fresh_database)
    # (A corpus's stream may record the new manuscript: it is not the history.)
    history = {s: v for s, v in versions_before.items() if not s.startswith("corpus-")}
    assert {s: versions_after[s] for s in history} == history
    assert len(versions_after) > len(versions_before)


def stream_versions(database_url: str) -> dict[str, int]:
    rows = fetch(database_url, "SELECT stream_id, max(stream_version) AS v FROM events GROUP BY 1")
    return {row["stream_id"]: row["v"] for row in rows}
