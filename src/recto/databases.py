"""Which database a maintenance command (`backup`, `restore`) works on."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from infra.embedded import EmbeddedPostgres
from infra.settings import Settings
from recto.stack import prepare_state_dir


@contextlib.contextmanager
def command_database(state_dir: Path, *, create: bool) -> Iterator[str]:
    """RECTO_DATABASE_DIRECT_URL or RECTO_DATABASE_URL when set (a restore holds a session
    lock: never through a transaction-mode pooler); else the embedded PostgreSQL of
    `state_dir`, started for the command (created first if `create`), unless `recto up` runs
    it already."""
    settings = Settings()
    configured = settings.database_direct_url or settings.database_url
    if configured:
        yield configured
        return
    folder = state_dir.absolute() / "postgres"
    data_dir = folder / "pgdata"
    if not (data_dir / "PG_VERSION").exists() and not create:
        raise SystemExit(f"no database in {state_dir}: set RECTO_DATABASE_URL or --state-dir")
    running = _postmaster_pid(data_dir)
    if running is not None:
        raise SystemExit(
            f"the PostgreSQL of {state_dir} is running (pid {running}, `recto up`?): set"
            " RECTO_DATABASE_URL to the database it printed"
        )
    prepare_state_dir(state_dir)
    with EmbeddedPostgres(folder) as server:
        yield server.url


def _postmaster_pid(data_dir: Path) -> int | None:
    try:
        pid = int((data_dir / "postmaster.pid").read_text().split("\n", 1)[0])
    except (OSError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None  # left by a server that was killed: PostgreSQL starts anyway
    except PermissionError:
        pass  # alive, another user's
    return pid
