"""The watch scheduler survives a broken sweep, and the composition root wires it all."""

from __future__ import annotations

import json
from pathlib import Path
from uuid import UUID

import pytest

from infra.eventstore import PostgresEventStore
from infra.projections import ProjectionRunner
from infra.settings import Settings
from infra.testing.pipeline import eventually
from ingest.adapters.http_fetcher import HttpxFetcher
from ingest.adapters.watch_projection import WatchedManifestsProjection
from ingest.bootstrap import build

from .watch_site import WatchSite
from .watching import FAST, import_watched, pages_of, projection_of, row_of, running, scheduler_for

pytestmark = pytest.mark.integration


async def test_a_sweep_that_fails_as_a_whole_does_not_end_the_scheduler(
    site: WatchSite,
    store: PostgresEventStore,
    fetcher: HttpxFetcher,
    caplog: pytest.LogCaptureFixture,
) -> None:
    site.publish_manifest("/book.json", ["p00"])
    manuscript = await import_watched(store, fetcher, site.url("/book.json"))
    scheduler = scheduler_for(store, fetcher)

    async def watched() -> bool:
        return (await row_of(store, manuscript)).get("next_check_at") is not None

    async with running(projection_of(store)):
        await eventually(watched, timeout=10)
    # Take the read model away: every sweep now fails on its first query.
    await store.pool.execute("ALTER TABLE ingest_watched_manifests RENAME TO away")
    async with running(scheduler.run) as tasks:

        async def sweep_failed() -> bool:
            return any(r.getMessage().startswith("watch sweep failed") for r in caplog.records)

        await eventually(sweep_failed, timeout=10)
        assert not tasks[0].done()
        await store.pool.execute("ALTER TABLE away RENAME TO ingest_watched_manifests")
        site.publish_manifest("/book.json", ["p00", "p01"])

        async def two_pages() -> bool:
            return len(await pages_of(store, manuscript)) == 2

        async with running(projection_of(store)):
            await eventually(two_pages, timeout=15)
        assert not tasks[0].done()


async def test_the_composition_root_migrates_projects_and_sweeps(
    site: WatchSite,
    database_url: str,
    event_store: PostgresEventStore,
    fetcher: HttpxFetcher,
    tmp_path: Path,
) -> None:
    settings = Settings(
        database_url=database_url,
        artifacts=tmp_path / "artifacts",
        state_dir=tmp_path / "state",
        fetch_allow="127.0.0.1",
    )
    parts = await build(settings, event_store, watch=FAST)  # creates ingest's tables
    try:
        site.publish_manifest("/book.json", ["p00"])
        manuscript = await import_watched(event_store, fetcher, site.url("/book.json"))
        site.publish_manifest("/book.json", ["p00", "p01"])

        async def two_pages() -> bool:
            return len(await pages_of(event_store, manuscript)) == 2

        async with running(*parts.background) as tasks:
            await eventually(two_pages, timeout=15)
        assert all(task.done() and task.exception() is None for task in tasks)
    finally:
        for close in parts.closers:
            await close()


async def test_the_projection_leaves_collections_to_their_members_and_rebuilds(
    site: WatchSite, store: PostgresEventStore, fetcher: HttpxFetcher
) -> None:
    site.publish_manifest("/book.json", ["p00", "p01"])
    site.publish(
        "/shelf.json",
        json.dumps(
            {
                "@context": "http://iiif.io/api/presentation/3/context.json",
                "id": site.url("/shelf.json"),
                "type": "Collection",
                "items": [{"id": site.url("/book.json"), "type": "Manifest"}],
            }
        ).encode(),
    )
    book = await import_watched(store, fetcher, site.url("/book.json"))
    shelf = await import_watched(store, fetcher, site.url("/shelf.json"))
    runner = ProjectionRunner(store, WatchedManifestsProjection(min_interval_seconds=0))
    await runner.catch_up()

    async def rows() -> dict[UUID, tuple[str, list[str], int, bool]]:
        found = await store.pool.fetch(
            "SELECT manuscript_id, url, canvas_ids, next_index, next_check_at"
            " FROM ingest_watched_manifests"
        )
        return {
            r["manuscript_id"]: (
                r["url"],
                sorted(r["canvas_ids"]),
                r["next_index"],
                r["next_check_at"] is not None,
            )
            for r in found
        }

    projected = await rows()
    canvases = [f"{site.base}/canvas/0", f"{site.base}/canvas/1"]
    assert projected[book] == (site.url("/book.json"), canvases, 2, True)
    # The shelf itself is not watched; its member is, imported with the shelf.
    assert shelf not in projected
    [member] = [m for m in projected if m != book]
    assert projected[member] == (site.url("/book.json"), canvases, 2, True)
    # The read model is nothing but the log: rebuilt, it is the same.
    await runner.rebuild()
    assert await rows() == projected
