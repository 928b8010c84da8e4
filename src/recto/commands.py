"""The work behind the CLI commands that talk to a running Recto or to its database."""

from __future__ import annotations

import asyncio
import mimetypes
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import anyio
from rich.console import Console
from rich.table import Table

from contracts import EngineStep, Plan
from infra.settings import Settings
from recto.client import GatewayClient
from recto.progress import follow_job
from recto.stack_settings import StackSettings

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp"})


def import_source(
    client: GatewayClient, source: str, *, corpus: str, profile: str, languages: Sequence[str]
) -> dict[str, Any]:
    """A IIIF manifest or collection URL, or a folder of images uploaded as one manuscript."""
    corpus_id = client.ensure_corpus(corpus, corpus.replace("-", " ").title(), profile)
    plan = Plan(primary=EngineStep(engine="tesseract", languages=list(languages)), profile=profile)
    if source.startswith(("http://", "https://")):
        return client.import_manifest(corpus_id, source, plan)
    folder = Path(source)
    images = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if not images:
        raise SystemExit(f"no images ({', '.join(sorted(IMAGE_SUFFIXES))}) in {folder}")
    return client.upload_images(corpus_id, images, label=folder.name, plan=plan)


def wait_for(client: GatewayClient, job_id: str, console: Console) -> dict[str, Any]:
    """Follow the feed to the job's end, then its read model (which may trail the feed, for up
    to `RECTO_RESULT_TIMEOUT` seconds)."""
    asyncio.run(follow_job(client, job_id, console))
    deadline = time.monotonic() + StackSettings().result_timeout
    while (job := client.job(job_id))["status"] in ("pending", "running"):
        if time.monotonic() > deadline:
            break
        time.sleep(0.1)
    return job


def job_table(job: dict[str, Any]) -> Table:
    table = Table(title=f"job {job['id']}: {job['kind']}, {job['status']}")
    table.add_column("stage")
    table.add_column("pages", justify="right")
    for stage, count in job["counts"].items():
        table.add_row(stage, str(count))
    for failure in job.get("failed_pages", []):
        table.add_row(f"[red]failed {failure['page_id']}[/red]", failure.get("reason") or "")
    return table


def media_type(path: Path) -> str:
    return mimetypes.guess_type(path.name)[0] or "application/octet-stream"


async def create_key(
    settings: Settings,
    name: str,
    scopes: Sequence[str],
    corpora: Sequence[UUID],
    expires_at: datetime | None = None,
) -> str:
    """A key made straight in the database, recorded with the actor `bootstrap`: how the first
    admin key comes to be. Returns its secret."""
    from contracts import SCOPES
    from contracts.errors import InvalidRequest
    from gateway.adapters.api_keys import create_api_key
    from gateway.adapters.migrate import upgrade_async
    from infra.database import DatabaseAccess
    from infra.eventstore import PostgresEventStore
    from infra.eventstore.migrate import upgrade_async as upgrade_event_store

    unknown = [scope for scope in scopes if scope not in SCOPES]
    if unknown:
        raise SystemExit(f"unknown scope {', '.join(unknown)}: choose among {', '.join(SCOPES)}")
    await upgrade_event_store(settings.direct_database_url())
    await upgrade_async(settings.direct_database_url())
    store = await PostgresEventStore.open(DatabaseAccess.of(settings, max_size=1))
    try:
        return await create_api_key(
            store.pool,
            [scope for scope in SCOPES if scope in scopes],
            corpora or None,
            name=name,
            expires_at=expires_at,
        )
    except InvalidRequest as error:
        raise SystemExit(f"{error}: {'; '.join(error.problems)}") from None
    finally:
        await store.close()


def key_table(keys: list[dict[str, Any]]) -> Table:
    table = Table(title="API keys")
    for column in ("id", "name", "status", "scopes", "corpora", "expires", "last used"):
        table.add_column(column)
    for key in keys:
        corpora = key["corpora"]
        table.add_row(
            key["id"],
            key["name"],
            key["status"],
            ", ".join(key["scopes"]),
            "all" if corpora is None else ", ".join(corpora),
            key["expires_at"] or "never",
            key["last_used_at"] or "–",
        )
    return table


async def rebuild_projections(settings: Settings) -> dict[str, int]:
    """Empty every read model and apply the whole log again; returns events applied per model."""
    from exporter.adapters.manuscript_progress import ManuscriptProgressProjection
    from gateway.adapters.api_keys import ApiKeyProjection
    from gateway.adapters.projection import ReadModelProjection
    from gateway.adapters.search_projection import SearchProjection
    from infra.artifact_stores import artifact_store
    from infra.database import DatabaseAccess
    from infra.eventstore import PostgresEventStore
    from infra.projections import Projection, ProjectionRunner
    from ingest.adapters.watch_projection import WatchedManifestsProjection
    from recto.services import migrate_all

    # Alembic runs an event loop of its own: it needs a thread of its own.
    await anyio.to_thread.run_sync(migrate_all, settings)
    store = await PostgresEventStore.open(DatabaseAccess.of(settings, max_size=2))
    projections: list[Projection] = [
        ReadModelProjection(),
        SearchProjection(artifact_store(settings)),
        ManuscriptProgressProjection(),
        WatchedManifestsProjection(),
        ApiKeyProjection(),
    ]
    try:
        return {p.name: await ProjectionRunner(store, p).rebuild() for p in projections}
    finally:
        await store.close()
