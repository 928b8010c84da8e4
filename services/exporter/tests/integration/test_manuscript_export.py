"""Manuscript progress and export on a real PostgreSQL: rebuilds, races, re-exports."""

from __future__ import annotations

import asyncio
import io
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from uuid import UUID

import asyncpg
import pytest

from contracts import (
    ManuscriptExported,
    PageAnalysis,
    PageAnalysisFailed,
    PageExported,
    PageExportFailed,
    manuscript_stream,
)
from exporter.adapters.manuscript_progress import MANUSCRIPTS, PAGES, ManuscriptProgressProjection
from exporter.adapters.migrate import upgrade_async
from exporter.application.export_page import export_page
from exporter.application.ports import ExportPorts, ManuscriptExportPorts
from exporter.domain.urls import GatewayUrls
from exporter.entrypoints.manuscript_export_loop import ManuscriptExportLoop
from infra.artifacts import FileArtifactStore, InMemoryArtifactStore
from infra.eventstore import PostgresEventStore, asyncpg_dsn
from infra.projections import ProjectionRunner

pytestmark = pytest.mark.integration

URLS = GatewayUrls("https://recto.example")


@pytest.fixture
async def migrated(database_url: str) -> str:
    await upgrade_async(database_url)
    await upgrade_async(database_url)  # every replica runs it at start: twice is harmless
    return database_url


@pytest.fixture
def artifacts(tmp_path: Path) -> FileArtifactStore:
    return FileArtifactStore(tmp_path / "artifacts")


@pytest.fixture
def pg_seeder(
    migrated: str, event_store: PostgresEventStore, artifacts: FileArtifactStore, seeder: Any
) -> Any:
    return type(seeder)(event_store, artifacts, seeder.analysis)


@pytest.fixture
async def progress(event_store: PostgresEventStore) -> ProjectionRunner:
    # Small batches, so one page's events land in several batches.
    return ProjectionRunner(event_store, ManuscriptProgressProjection(), batch_size=3)


@pytest.fixture
async def replica(migrated: str) -> AsyncIterator[PostgresEventStore]:
    """A second exporter replica's own connection pool."""
    store = await PostgresEventStore.connect(migrated)
    yield store
    await store.close()


def _loop(store: PostgresEventStore, artifacts: FileArtifactStore) -> ManuscriptExportLoop:
    return ManuscriptExportLoop(store.pool, ManuscriptExportPorts(store, artifacts, URLS))


async def _export(seeder: Any, index: int, text: str = "Livre d'heures") -> None:
    ((_, exported),) = await export_page(
        seeder.analyzed(index, text=text), ExportPorts(seeder.artifacts, URLS)
    )
    assert isinstance(exported, PageExported)
    await seeder.record(index, exported)


async def _done_manuscript(seeder: Any, pages: int = 3) -> None:
    await seeder.import_manuscript(pages)
    for index in range(pages):
        await seeder.register(index)
    for index in range(pages - 1):
        await _export(seeder, index)
    failed = PageAnalysisFailed(
        page_id=seeder.page_id(pages - 1), code="engine-failed", reason="x", attempt=3, final=True
    )
    await seeder.record(pages - 1, failed)


async def _exports(store: PostgresEventStore, seeder: Any) -> list[ManuscriptExported]:
    stream = await store.read_stream(manuscript_stream(seeder.manuscript_id))
    return [e.data for e in stream if isinstance(e.data, ManuscriptExported)]


async def _tables(database_url: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        manuscripts = await connection.fetch(f"SELECT * FROM {MANUSCRIPTS} ORDER BY 1")
        pages = await connection.fetch(f"SELECT * FROM {PAGES} ORDER BY 1")
    finally:
        await connection.close()
    return [dict(r) for r in manuscripts], [dict(r) for r in pages]


def _progress(row: dict[str, Any]) -> tuple[Any, ...]:
    keys = ("imported_pages", "registered_pages", "terminal_pages", "exported", "up_to_date")
    return tuple(row[key] for key in keys)


async def test_a_rebuild_equals_the_live_tables(
    pg_seeder: Any,
    seeder: Any,
    progress: ProjectionRunner,
    artifacts: FileArtifactStore,
    event_store: PostgresEventStore,
    migrated: str,
) -> None:
    # One manuscript exported, then a page re-exported; another still half done.
    await _done_manuscript(pg_seeder)
    await progress.catch_up()
    await _loop(event_store, artifacts).run_once()
    await _export(pg_seeder, 0, text="Heures de Rome")
    other = type(seeder)(event_store, artifacts, seeder.analysis)
    await other.import_manuscript(2)
    await other.register(0)
    await other.register(1)
    await other.record(
        0, PageExportFailed(page_id=other.page_id(0), format="alto", code="x", reason="y")
    )
    await other.record(
        0, PageExportFailed(page_id=other.page_id(0), format="page", code="x", reason="y")
    )
    await progress.catch_up()
    live = await _tables(migrated)

    await progress.rebuild()

    assert await _tables(migrated) == live
    manuscripts = {row["manuscript_id"]: row for row in live[0]}
    assert _progress(manuscripts[pg_seeder.manuscript_id]) == (3, 3, 3, True, False)
    assert _progress(manuscripts[other.manuscript_id]) == (2, 2, 1, False, False)
    assert len(live[1]) == 5


async def test_two_racing_replicas_record_one_export(
    pg_seeder: Any,
    progress: ProjectionRunner,
    artifacts: FileArtifactStore,
    event_store: PostgresEventStore,
    replica: PostgresEventStore,
) -> None:
    await _done_manuscript(pg_seeder)
    await progress.catch_up()
    first, second = _loop(event_store, artifacts), _loop(replica, artifacts)

    recorded = await asyncio.gather(first.run_once(), second.run_once())
    # The progress table has not seen the export yet: the next round must find it recorded.
    again = await asyncio.gather(first.run_once(), second.run_once())
    await progress.catch_up()
    after = await asyncio.gather(first.run_once(), second.run_once())

    assert sorted(recorded) == [0, 1]
    assert list(again) == [0, 0]
    assert list(after) == [0, 0]
    (exported,) = await _exports(event_store, pg_seeder)
    assert (exported.pages_exported, exported.pages_failed) == (2, 1)
    assert sorted(exported.formats) == ["bundle", "iiif-manifest", "mets", "pdf"]
    # The searchable PDF has a page per manuscript page of known size, and ships in the bundle.
    pdf = artifacts.get(exported.formats["pdf"])
    assert pdf.startswith(b"%PDF-")
    bundle = zipfile.ZipFile(io.BytesIO(artifacts.get(exported.formats["bundle"])))
    assert bundle.read("searchable.pdf") == pdf


async def test_an_unfinished_manuscript_is_not_exported(
    pg_seeder: Any,
    progress: ProjectionRunner,
    artifacts: FileArtifactStore,
    event_store: PostgresEventStore,
) -> None:
    await pg_seeder.import_manuscript(3)
    for index in range(2):  # the third page is not even registered yet
        await pg_seeder.register(index)
        await _export(pg_seeder, index)
    not_final = PageAnalysisFailed(
        page_id=pg_seeder.page_id(1), code="engine-failed", reason="x", attempt=1, final=False
    )
    await pg_seeder.record(1, not_final)
    await progress.catch_up()

    assert await _loop(event_store, artifacts).run_once() == 0
    assert await _exports(event_store, pg_seeder) == []


async def test_a_re_exported_page_exports_the_manuscript_again(
    pg_seeder: Any,
    progress: ProjectionRunner,
    artifacts: FileArtifactStore,
    event_store: PostgresEventStore,
) -> None:
    await _done_manuscript(pg_seeder)
    await progress.catch_up()
    loop = _loop(event_store, artifacts)
    assert await loop.run_once() == 1

    # A newer analysis of the first page is exported.
    await _export(pg_seeder, 0, text="Heures de Rome")
    await progress.catch_up()
    assert await loop.run_once() == 1
    await progress.catch_up()
    assert await loop.run_once() == 0

    before, after = await _exports(event_store, pg_seeder)
    assert before.formats["bundle"] != after.formats["bundle"]
    bundle = zipfile.ZipFile(io.BytesIO(artifacts.get(after.formats["bundle"])))
    assert bundle.read("text/0001.txt").decode().startswith("Heures de Rome\n")


async def test_a_page_registered_later_waits_for_its_outcome(
    pg_seeder: Any,
    progress: ProjectionRunner,
    artifacts: FileArtifactStore,
    event_store: PostgresEventStore,
) -> None:
    await _done_manuscript(pg_seeder, pages=2)
    await progress.catch_up()
    loop = _loop(event_store, artifacts)
    assert await loop.run_once() == 1

    # The watched manifest grew by one canvas.
    await pg_seeder.register(2)
    await progress.catch_up()
    assert await loop.run_once() == 0
    await _export(pg_seeder, 2)
    await progress.catch_up()
    assert await loop.run_once() == 1

    _, grown = await _exports(event_store, pg_seeder)
    assert (grown.pages_exported, grown.pages_failed) == (2, 1)


async def test_a_page_change_recorded_before_the_export_but_unseen_makes_it_stale(
    pg_seeder: Any,
    progress: ProjectionRunner,
    artifacts: FileArtifactStore,
    event_store: PostgresEventStore,
) -> None:
    await _done_manuscript(pg_seeder)
    await progress.catch_up()
    loop = _loop(event_store, artifacts)

    # The page is re-exported before the manuscript export is recorded, but after the loop
    # read the progress table: the export may or may not include it, so it is redone.
    await _export(pg_seeder, 0, text="Heures de Rome")
    assert await loop.run_once() == 1
    await progress.catch_up()
    assert await loop.run_once() == 1
    await progress.catch_up()
    assert await loop.run_once() == 0


async def test_a_manuscript_that_fails_to_build_holds_up_no_other(
    pg_seeder: Any,
    seeder: Any,
    progress: ProjectionRunner,
    artifacts: FileArtifactStore,
    event_store: PostgresEventStore,
) -> None:
    # The broken manuscript sorts first; its page's analysis is not in the artifact store.
    broken = type(seeder)(event_store, artifacts, seeder.analysis)
    broken.manuscript_id = UUID(int=1 << 64)
    pg_seeder.manuscript_id = UUID(int=2 << 64)
    await broken.import_manuscript(1)
    await broken.register(0)
    elsewhere = InMemoryArtifactStore()
    analyzed = type(seeder)(event_store, elsewhere, seeder.analysis).analyzed(0)
    ((_, exported),) = await export_page(analyzed, ExportPorts(elsewhere, URLS))
    await broken.record(0, exported.model_copy(update={"page_id": broken.page_id(0)}))
    await _done_manuscript(pg_seeder)
    await progress.catch_up()
    loop = ManuscriptExportLoop(
        event_store.pool,
        ManuscriptExportPorts(event_store, artifacts, URLS),
        poll_seconds=0.05,
        batch_size=1,
    )

    assert await loop.run_once() == 0  # the broken one fails and rests a while
    assert await loop.run_once() == 1
    assert len(await _exports(event_store, pg_seeder)) == 1

    # Once its analysis is back, the next try after the pause exports it.
    artifacts.put(elsewhere.get(analyzed.analysis), PageAnalysis.media_type)
    await asyncio.sleep(0.2)
    await progress.catch_up()
    assert await loop.run_once() == 1
    assert len(await _exports(event_store, broken)) == 1
