"""The analyzer's subscriptions: cancelled jobs skipped, re-requested analyses run once."""

from __future__ import annotations

from analyzer.application.in_memory import InMemoryPageImages
from analyzer.entrypoints.subscriptions import analyzer_subscriptions
from analyzer.testing import FakeEngine, analysis_with, normalized_page, ports_with
from contracts import (
    JobCancelled,
    PageAnalyzed,
    PageStageRerequested,
    PageStageSkipped,
    job_stream,
    page_stream,
)
from infra.artifacts import InMemoryArtifactStore
from infra.eventstore import InMemoryEventStore


async def test_a_page_of_a_cancelled_job_is_skipped_without_running_an_engine() -> None:
    artifacts, store = InMemoryArtifactStore(), InMemoryEventStore()
    page = normalized_page(artifacts)
    engine = FakeEngine("tesseract", analysis_with("text", 0.9, "tesseract"))
    analyze, _ = analyzer_subscriptions(
        ports_with(artifacts, [engine]), store, max_deliver=3, ack_wait=10.0
    )
    assert page.job_id is not None
    await store.append(page_stream(page.page_id), [page])
    await store.append(job_stream(page.job_id), [JobCancelled(job_id=page.job_id)])

    [recorded] = await store.read_stream(page_stream(page.page_id))
    [(_, skipped)] = await analyze.handler(recorded)

    assert isinstance(skipped, PageStageSkipped)
    assert (skipped.stage, skipped.job_id) == ("analysis", page.job_id)
    assert engine.calls == []


async def test_a_rerequested_analysis_runs_on_the_latest_image_until_it_ends() -> None:
    artifacts, store = InMemoryArtifactStore(), InMemoryEventStore()
    page = normalized_page(artifacts)
    images = InMemoryPageImages()
    images.add(page)
    engine = FakeEngine("tesseract", analysis_with("text", 0.9, "tesseract"))
    _, reruns = analyzer_subscriptions(
        ports_with(artifacts, [engine], images=images), store, max_deliver=3, ack_wait=10.0
    )
    assert list(reruns.event_types) == ["page.stage_rerequested"]
    rerequest = PageStageRerequested(
        page_id=page.page_id, job_id=page.job_id, stage="analysis", attempt=1, reason="stalled"
    )
    await store.append(page_stream(page.page_id), [page, rerequest])
    recorded = (await store.read_stream(page_stream(page.page_id)))[-1]

    emitted = await reruns.handler(recorded)
    analyzed = emitted[-1][1]
    assert isinstance(analyzed, PageAnalyzed)
    assert analyzed.job_id == page.job_id
    await store.append(page_stream(page.page_id), [e for _, e in emitted])
    # Redelivered after the page was analyzed: the engine does not run again.
    assert await reruns.handler(recorded) == []
    assert len(engine.calls) == 1
