"""Ingest re-run from a page's registration, and pages of a cancelled job left unfetched."""

from __future__ import annotations

from uuid import UUID, uuid4

from contracts import (
    JobCancelled,
    Metadata,
    PageImageNormalized,
    PageIngestFailed,
    PageRegistered,
    PageStage,
    PageStageRerequested,
    PageStageSkipped,
    RecordedEvent,
    job_stream,
    page_stream,
)
from infra.artifacts import InMemoryArtifactStore
from infra.eventstore import InMemoryEventStore
from ingest.adapters.image_service import CachedImageInfo
from ingest.adapters.memory_fetcher import InMemoryFetcher
from ingest.application.normalize_page_image import normalize_page_image, rerun_page_ingest
from ingest.application.ports import IngestPorts, IngestSettings

IMAGE = "https://img.example.org/static/p1.jpg"


def ports(store: InMemoryEventStore, routes: dict[str, bytes | int]) -> IngestPorts:
    fetcher = InMemoryFetcher(routes)
    settings = IngestSettings(derivative_long_side=600, thumbnail_size=64)
    return IngestPorts(fetcher, CachedImageInfo(fetcher), InMemoryArtifactStore(), settings, store)


async def registered_page(store: InMemoryEventStore, job_id: UUID) -> PageRegistered:
    page = PageRegistered(
        page_id=uuid4(),
        manuscript_id=uuid4(),
        corpus_id=uuid4(),
        job_id=job_id,
        index=0,
        image_url=IMAGE,
    )
    await store.append(page_stream(page.page_id), [page])
    return page


async def rerequest(
    store: InMemoryEventStore, page: PageRegistered, stage: PageStage
) -> RecordedEvent:
    event = PageStageRerequested(
        page_id=page.page_id, job_id=page.job_id, stage=stage, attempt=1, reason="retry"
    )
    await store.append(page_stream(page.page_id), [event])
    return (await store.read_stream(page_stream(page.page_id)))[-1]


async def test_a_rerequested_ingest_normalizes_the_registered_page(images) -> None:
    store, job_id = InMemoryEventStore(), uuid4()
    page = await registered_page(store, job_id)
    failing = ports(store, {IMAGE: 404})
    [(_, failed)] = await normalize_page_image(page, failing)
    assert isinstance(failed, PageIngestFailed)
    await store.append(page_stream(page.page_id), [failed])

    # The source is fixed, then the stage is asked again.
    fixed = ports(store, {IMAGE: images.jpeg(300, 400)})
    [(stream, normalized)] = await rerun_page_ingest(await rerequest(store, page, "ingest"), fixed)
    assert stream == page_stream(page.page_id)
    assert isinstance(normalized, PageImageNormalized)
    assert normalized.job_id == job_id


async def test_a_rerequest_of_another_stage_or_already_served_is_left_alone(images) -> None:
    store = InMemoryEventStore()
    page = await registered_page(store, uuid4())
    ingest = ports(store, {IMAGE: images.jpeg(300, 400)})
    assert await rerun_page_ingest(await rerequest(store, page, "analysis"), ingest) == []

    first = await rerequest(store, page, "ingest")
    [(_, normalized)] = await rerun_page_ingest(first, ingest)
    await store.append(page_stream(page.page_id), [normalized])
    # Delivered again after the page was normalized: nothing more to do.
    assert await rerun_page_ingest(first, ingest) == []


async def test_a_page_of_a_cancelled_job_is_skipped_unfetched(images) -> None:
    store, job_id = InMemoryEventStore(), uuid4()
    page = await registered_page(store, job_id)
    await store.append(
        job_stream(job_id),
        [JobCancelled(job_id=job_id, reason="wrong book")],
        metadata=Metadata(correlation_id=job_id),
    )
    ingest = ports(store, {IMAGE: images.jpeg(300, 400)})
    [(_, skipped)] = await normalize_page_image(page, ingest)
    assert isinstance(skipped, PageStageSkipped)
    assert (skipped.stage, skipped.job_id) == ("ingest", job_id)
    assert skipped.reason == f"job {job_id} was cancelled before the ingest stage ran (wrong book)"
    assert isinstance(ingest.fetcher, InMemoryFetcher)
    assert ingest.fetcher.requested == []
