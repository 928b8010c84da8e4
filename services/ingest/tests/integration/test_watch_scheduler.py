"""The watch scheduler against real PostgreSQL and a publisher on loopback that changes."""

from __future__ import annotations

import asyncio
import logging
from itertools import pairwise
from uuid import UUID

import pytest

from infra.eventstore import PostgresEventStore
from infra.testing.pipeline import eventually
from ingest.adapters.http_fetcher import FetchSettings, HttpxFetcher
from ingest.domain.page_ids import page_id

from .watch_site import WatchSite
from .watching import (
    INTERVAL,
    LOOPBACK,
    import_watched,
    pages_of,
    projection_of,
    read_once,
    row_of,
    running,
    scheduler_for,
    true,
)

pytestmark = pytest.mark.integration


async def test_a_manifest_gaining_two_canvases_gets_exactly_two_new_pages(
    site: WatchSite, store: PostgresEventStore, fetcher: HttpxFetcher
) -> None:
    site.publish_manifest("/book.json", ["p00", "p01", "p02"])
    manuscript = await import_watched(store, fetcher, site.url("/book.json"))
    before = await pages_of(store, manuscript)
    assert len(before) == 3

    async with running(projection_of(store), scheduler_for(store, fetcher).run):
        # The first scheduled reading records the validators and finds nothing new.
        await eventually(lambda: read_once(store, manuscript), timeout=15)
        assert len(await pages_of(store, manuscript)) == 3
        site.publish_manifest("/book.json", ["p00", "p01", "p02", "p03", "p04"])

        async def five_pages() -> bool:
            return len(await pages_of(store, manuscript)) == 5

        await eventually(five_pages, timeout=15)
        # Two more turns over the changed manifest must not register anything again.
        turns = len(site.seen("/book.json"))

        async def two_more_turns() -> bool:
            return len(site.seen("/book.json")) >= turns + 2

        await eventually(two_more_turns, timeout=15)

    pages = await pages_of(store, manuscript)
    new = [p for p in pages if p not in before]
    canvases = [f"{site.base}/canvas/3", f"{site.base}/canvas/4"]
    assert [(p.canvas_id, p.index) for p in new] == [(canvases[0], 3), (canvases[1], 4)]
    assert [p.page_id for p in new] == [
        page_id(manuscript, canvases[0], 3),
        page_id(manuscript, canvases[1], 4),
    ]
    assert len(pages) == 5
    assert (await row_of(store, manuscript))["next_index"] == 5


async def test_an_unchanged_manifest_is_answered_304_and_nothing_is_appended(
    site: WatchSite, store: PostgresEventStore, fetcher: HttpxFetcher
) -> None:
    site.publish_manifest("/book.json", ["p00", "p01"])
    manuscript = await import_watched(store, fetcher, site.url("/book.json"))
    events_before = len(await store.read_all())

    async def two_not_modified() -> bool:
        return sum(r.status == 304 for r in site.seen("/book.json")) >= 2

    async with running(projection_of(store), scheduler_for(store, fetcher).run):
        await eventually(two_not_modified, timeout=15)

    row = await row_of(store, manuscript)
    conditional = [r for r in site.seen("/book.json") if r.status == 304]
    assert all(r.headers["if-none-match"] == row["etag"] for r in conditional)
    assert all(r.headers["if-modified-since"] == row["last_modified"] for r in conditional)
    assert len(await store.read_all()) == events_before
    assert row["last_error"] is None


async def test_of_two_scheduler_replicas_only_one_sweeps(
    site: WatchSite, store: PostgresEventStore, fetcher: HttpxFetcher, database_url: str
) -> None:
    site.publish_manifest("/book.json", ["p00"])
    await import_watched(store, fetcher, site.url("/book.json"))
    other_store = await PostgresEventStore.connect(database_url)
    other_fetcher = HttpxFetcher(LOOPBACK, FetchSettings(retries=0))
    first, second = scheduler_for(store, fetcher), scheduler_for(other_store, other_fetcher)
    stops = [asyncio.Event(), asyncio.Event()]
    try:
        async with running(projection_of(store)):
            tasks = [
                asyncio.create_task(first.run(stops[0])),
                asyncio.create_task(second.run(stops[1])),
            ]
            await asyncio.sleep(3.5)
            leader, standby = (first, second) if first.leading else (second, first)
            assert leader.leading
            assert not standby.leading
            assert leader.sweeps > 10
            assert standby.sweeps == 0
            # Each scheduled reading comes one interval after the previous one, never twice.
            readings = site.seen("/book.json")[1:]  # the first is the import itself
            assert 2 <= len(readings) <= 4
            assert all(b.at - a.at >= 0.9 * INTERVAL for a, b in pairwise(readings))

            # When the leader stops, the standby takes the lock and sweeps.
            stops[0 if leader is first else 1].set()
            await eventually(lambda: true(standby.leading and standby.sweeps > 0), timeout=5)
            count = len(site.seen("/book.json"))
            await eventually(lambda: true(len(site.seen("/book.json")) > count), timeout=5)
    finally:
        for stop in stops:
            stop.set()
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=10)
        await other_fetcher.aclose()
        await other_store.close()


async def test_a_failing_manifest_is_retried_while_the_others_go_on(
    site: WatchSite,
    store: PostgresEventStore,
    fetcher: HttpxFetcher,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    site.publish_manifest("/a.json", ["p00", "p01"])
    site.publish_manifest("/b.json", ["p00"])
    a = await import_watched(store, fetcher, site.url("/a.json"))
    b = await import_watched(store, fetcher, site.url("/b.json"))

    async def error_of_a(fragment: str) -> bool:
        return fragment in ((await row_of(store, a)).get("last_error") or "")

    async def pages(manuscript: UUID, count: int) -> bool:
        return len(await pages_of(store, manuscript)) == count

    scheduler = scheduler_for(store, fetcher)
    async with running(projection_of(store), scheduler.run) as tasks:
        await eventually(lambda: read_once(store, a), timeout=15)
        # a starts failing while b gains a page: b's page is registered all the same.
        site.publish("/a.json", 500)
        site.publish_manifest("/b.json", ["p00", "p01"])
        await eventually(lambda: error_of_a("HTTP 500"), timeout=15)
        await eventually(lambda: pages(b, 2), timeout=15)
        # Then a serves something that is not JSON; the next turn says so.
        site.publish("/a.json", b'{"@context": "http://iiif.io/api/presentation/3/cont')
        await eventually(lambda: error_of_a("not JSON"), timeout=15)
        # And when a is fixed, its new canvas is registered at its next turn.
        site.publish_manifest("/a.json", ["p00", "p01", "p02"])
        await eventually(lambda: pages(a, 3), timeout=15)
        assert (await row_of(store, a))["last_error"] is None
        assert not any(task.done() for task in tasks)
        assert scheduler.leading

    reasons = [
        getattr(r, "reason", "")
        for r in caplog.records
        if r.levelno == logging.WARNING and getattr(r, "url", "") == site.url("/a.json")
    ]
    assert any(f"HTTP 500 from {site.url('/a.json')}" in reason for reason in reasons)
    assert any(reason.startswith("manifest-not-iiif: not JSON") for reason in reasons)
