"""A manuscript import through the real relay and ingest service, on real NATS and PostgreSQL."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from uuid import UUID, uuid4

import pytest

from contracts import (
    IiifSource,
    JobCreated,
    ManuscriptImportRequested,
    Metadata,
    PageImageNormalized,
    Plan,
    job_stream,
    manuscript_stream,
)
from infra.eventstore import PostgresEventStore, StreamAppend
from infra.service import Build
from infra.settings import Settings
from infra.testing.pipeline import eventually, running_consumers, running_relay
from ingest.bootstrap import build as build_ingest
from recto.sample.iiif_server import serving
from recto.sample.pages import generated_pages

pytestmark = [pytest.mark.integration, pytest.mark.e2e]


@contextlib.asynccontextmanager
async def services(
    settings: Settings, store: PostgresEventStore, builds: list[Build]
) -> AsyncIterator[None]:
    async with contextlib.AsyncExitStack() as stack:
        assert settings.nats_url is not None
        await stack.enter_async_context(
            running_relay(store, settings.nats_url, settings.nats_prefix)
        )
        for build in builds:
            parts = await build(settings, store)
            for close in parts.closers:
                stack.push_async_callback(close)
            await stack.enter_async_context(
                running_consumers(
                    store, settings.nats_url, settings.nats_prefix, parts.subscriptions
                )
            )
        yield


async def request_import(store: PostgresEventStore, manifest_url: str) -> UUID:
    corpus_id, manuscript_id, job_id = uuid4(), uuid4(), uuid4()
    requested = ManuscriptImportRequested(
        manuscript_id=manuscript_id,
        corpus_id=corpus_id,
        job_id=job_id,
        source=IiifSource(url=manifest_url),
    )
    await store.append_streams(
        [
            StreamAppend(manuscript_stream(manuscript_id), [requested], 0),
            StreamAppend(
                job_stream(job_id), [JobCreated(job_id=job_id, kind="import", plan=Plan())], 0
            ),
        ],
        metadata=Metadata(correlation_id=job_id, actor="test"),
    )
    return job_id


async def test_an_imported_manifest_gets_every_page_normalised(
    settings: Settings, event_store: PostgresEventStore
) -> None:
    settings = settings.model_copy(update={"fetch_allow": "127.0.0.1"})
    pages = generated_pages(5)
    with serving(pages) as manifest_url:
        async with services(settings, event_store, [build_ingest]):
            job_id = await request_import(event_store, manifest_url)

            async def all_normalised() -> bool:
                done = await event_store.read_all(types=["page.image_normalized"])
                return len(done) == len(pages)

            await eventually(all_normalised, timeout=60)

    normalised = [e.data for e in await event_store.read_all(types=["page.image_normalized"])]
    assert all(isinstance(n, PageImageNormalized) for n in normalised)
    assert {(n.master.width, n.master.height) for n in normalised} == {(1400, 2000)}
    imported = await event_store.read_all(types=["manuscript.imported"])
    assert [e.data.page_count for e in imported] == [5]
    # Every event the services appended for the import carries the job as its correlation id.
    caused = await event_store.read_all(
        types=["manuscript.imported", "page.registered", "page.image_normalized"]
    )
    assert len(caused) == 1 + 5 + 5
    assert {e.correlation_id for e in caused} == {job_id}
