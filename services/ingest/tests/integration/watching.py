"""Helpers of the watch tests: running background tasks, importing, reading what was stored."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID, uuid4

from contracts import IiifSource, ManuscriptImportRequested, PageRegistered, manuscript_stream
from infra.addresses import AddressPolicy
from infra.artifacts import InMemoryArtifactStore
from infra.eventstore import NO_STREAM, PostgresEventStore, StreamAppend
from infra.projections import ProjectionRunner
from infra.service import BackgroundTask
from ingest.adapters.http_fetcher import HttpxFetcher
from ingest.adapters.image_service import CachedImageInfo
from ingest.adapters.watch_projection import WatchedManifestsProjection
from ingest.adapters.watch_scheduler import WatchScheduler
from ingest.adapters.watched_manifests import PostgresWatchedManifests
from ingest.application.import_manuscript import import_manuscript
from ingest.application.ports import IngestPorts
from ingest.application.watch_manifests import WatchPorts
from ingest.application.watch_ports import WatchSettings

LOOPBACK = AddressPolicy.from_allow_list("127.0.0.1")
FAST = WatchSettings(min_interval_seconds=0, poll_seconds=0.05, lock_retry_seconds=0.1)
INTERVAL = 1  # seconds: the smallest a contract allows, so each test lasts a few turns only


def scheduler_for(store: PostgresEventStore, fetcher: HttpxFetcher) -> WatchScheduler:
    manifests = PostgresWatchedManifests(store.pool)
    return WatchScheduler(store.sessions, WatchPorts(manifests, fetcher, store, FAST))


def projection_of(store: PostgresEventStore) -> BackgroundTask:
    projection = WatchedManifestsProjection(min_interval_seconds=0)
    return ProjectionRunner(store, projection, idle_sleep=0.02).run


@contextlib.asynccontextmanager
async def running(*tasks: BackgroundTask) -> AsyncIterator[list[asyncio.Task[None]]]:
    stop = asyncio.Event()
    started = [asyncio.create_task(task(stop)) for task in tasks]
    try:
        yield started
    finally:
        stop.set()
        await asyncio.wait_for(asyncio.gather(*started), timeout=10)


async def import_watched(store: PostgresEventStore, fetcher: HttpxFetcher, url: str) -> UUID:
    """Request a watched import and handle it as ingest does: the initial pages are registered."""
    request = ManuscriptImportRequested(
        manuscript_id=uuid4(),
        corpus_id=uuid4(),
        job_id=uuid4(),
        source=IiifSource.model_validate({"url": url, "watch_interval_seconds": INTERVAL}),
    )
    stream = manuscript_stream(request.manuscript_id)
    await store.append(stream, [request], expected_version=NO_STREAM)
    ports = IngestPorts(fetcher, CachedImageInfo(fetcher), InMemoryArtifactStore())
    emitted = await import_manuscript(request, ports)
    await store.append_streams([StreamAppend(s, [event]) for s, event in emitted])
    return request.manuscript_id


async def pages_of(store: PostgresEventStore, manuscript_id: UUID) -> list[PageRegistered]:
    events = await store.read_all(types=["page.registered"])
    return [
        e.data
        for e in events
        if isinstance(e.data, PageRegistered) and e.data.manuscript_id == manuscript_id
    ]


async def row_of(store: PostgresEventStore, manuscript_id: UUID) -> dict[str, Any]:
    row = await store.pool.fetchrow(
        "SELECT * FROM ingest_watched_manifests WHERE manuscript_id = $1", manuscript_id
    )
    return dict(row) if row else {}


async def read_once(store: PostgresEventStore, manuscript_id: UUID) -> bool:
    return bool((await row_of(store, manuscript_id)).get("etag"))


async def true(value: bool) -> bool:
    return value
