"""Cancel, retry and the stall sweeper decide on the streams, with the in-memory store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from contracts import (
    ArtifactRef,
    Event,
    ImageRef,
    JobCancelled,
    JobCompleted,
    JobCreated,
    JobRetried,
    JobSummary,
    Metadata,
    PageAnalysisFailed,
    PageAnalysisRequested,
    PageAnalyzed,
    PageExportFailed,
    PageImageNormalized,
    PageIngestFailed,
    PageRegistered,
    PageStageRerequested,
    Plan,
    job_stream,
    page_stream,
)
from contracts.errors import ResourceConflict, ResourceNotFound
from gateway.application.jobs import cancel_job, retry_job
from gateway.application.sweeper import SweepSettings, sweep_stalled_pages
from gateway.domain.models import JobPageRow
from gateway.domain.page_progress import fold_page, stall
from infra.eventstore import InMemoryEventStore

REF = ArtifactRef(sha256="a" * 64, media_type="image/jpeg", bytes=1)
IMAGE = ImageRef(**REF.model_dump(), width=10, height=10)


class FailedPagesOf:
    """The read model's answer to `job_pages(failed_only=True)`: the candidates, maybe stale."""

    def __init__(self, *page_ids: UUID) -> None:
        self.page_ids = page_ids

    async def job_pages(self, job_id: UUID, *, failed_only: bool = False) -> list[JobPageRow]:
        return [JobPageRow(job_id, p, 0, failed=True) for p in self.page_ids]


class Candidates:
    def __init__(self, *page_ids: UUID) -> None:
        self.page_ids = list(page_ids)

    async def unsettled_pages(self, idle_seconds: float, limit: int) -> list[UUID]:
        return self.page_ids[:limit]


async def new_job(store: InMemoryEventStore) -> UUID:
    job_id = uuid4()
    created = JobCreated(job_id=job_id, kind="import", plan=Plan())
    await store.append(job_stream(job_id), [created], metadata=Metadata(correlation_id=job_id))
    return job_id


async def page_with(store: InMemoryEventStore, job_id: UUID, *events: Event) -> UUID:
    page_id = uuid4()
    registered = PageRegistered(
        page_id=page_id, manuscript_id=uuid4(), corpus_id=uuid4(), job_id=job_id, index=0
    )
    await store.append(page_stream(page_id), [registered, *events])
    return page_id


def normalised(page_id: UUID | None = None) -> PageImageNormalized:
    return PageImageNormalized(
        page_id=page_id or uuid4(), master=IMAGE, derivative=IMAGE, thumbnail=IMAGE
    )


async def test_a_job_the_stream_says_completed_cannot_be_cancelled() -> None:
    store = InMemoryEventStore()
    job_id = await new_job(store)
    summary = JobSummary(pages=0, exported=0, failed=0)
    await store.append(
        job_stream(job_id), [JobCompleted(job_id=job_id, status="done", summary=summary)]
    )

    with pytest.raises(ResourceConflict, match=r"already done \(job stream at version 2\)"):
        await cancel_job(store, job_id, actor="k1")
    with pytest.raises(ResourceNotFound):
        await cancel_job(store, uuid4(), actor="k1")


async def test_cancel_is_recorded_once() -> None:
    store = InMemoryEventStore()
    job_id = await new_job(store)
    await cancel_job(store, job_id, actor="k1", reason="wrong book")
    with pytest.raises(ResourceConflict, match="already cancelled"):
        await cancel_job(store, job_id, actor="k2")
    types = [e.type for e in await store.read_stream(job_stream(job_id))]
    assert types == ["job.created", "job.cancelled"]


async def test_retry_reruns_each_page_from_the_stage_that_failed() -> None:
    store = InMemoryEventStore()
    job_id = await new_job(store)
    ingest = await page_with(
        store, job_id, PageIngestFailed(page_id=uuid4(), step="fetch", code="c", reason="404")
    )
    analysis = await page_with(
        store,
        job_id,
        normalised(),
        PageAnalysisFailed(page_id=uuid4(), code="c", reason="r", attempt=1, final=True),
    )
    export = await page_with(
        store,
        job_id,
        normalised(),
        PageAnalyzed(page_id=uuid4(), analysis=REF, engine="t", duration_ms=1),
        PageExportFailed(page_id=uuid4(), format="alto", code="c", reason="xsd"),
    )
    fine = await page_with(store, job_id, normalised())  # the read model still says failed

    retried = await retry_job(
        store, FailedPagesOf(ingest, analysis, export, fine), job_id, actor="k"
    )

    assert retried == [ingest, analysis, export]
    [reopened] = [e.data for e in await store.read_stream(job_stream(job_id))][1:]
    assert isinstance(reopened, JobRetried)
    assert [(p.page_id, p.stage) for p in reopened.pages] == [
        (ingest, "ingest"),
        (analysis, "analysis"),
        (export, "export"),
    ]
    last = {p: (await store.read_stream(page_stream(p)))[-1].data for p in retried}
    assert isinstance(last[analysis], PageAnalysisRequested)
    for page, stage in ((ingest, "ingest"), (export, "export")):
        rerun = last[page]
        assert isinstance(rerun, PageStageRerequested)
        assert (rerun.stage, rerun.attempt, rerun.job_id) == (stage, 1, job_id)
    # Asked again at once: no page has failed since.
    with pytest.raises(ResourceConflict, match="no failed page"):
        await retry_job(store, FailedPagesOf(ingest, analysis, export), job_id, actor="k")


async def test_a_cancelled_job_is_not_retried() -> None:
    store = InMemoryEventStore()
    job_id = await new_job(store)
    await store.append(job_stream(job_id), [JobCancelled(job_id=job_id)])
    with pytest.raises(ResourceConflict, match="was cancelled"):
        await retry_job(store, FailedPagesOf(), job_id, actor="k")


async def test_progress_resets_the_rerequest_count_and_a_settled_page_never_stalls() -> None:
    store = InMemoryEventStore()
    job_id = await new_job(store)
    rerun = PageStageRerequested(
        page_id=uuid4(), job_id=job_id, stage="ingest", attempt=1, reason="r"
    )
    page_id = await page_with(store, job_id, rerun, rerun)
    progress = fold_page(await store.read_stream(page_stream(page_id)))
    assert (progress.waiting_for, progress.rerequests, progress.version) == ("ingest", 2, 3)
    later = datetime.now(UTC) + timedelta(hours=1)
    decision = stall(progress, later, timedelta(seconds=60), 3)
    assert decision is not None
    assert (decision.stage, decision.attempt, decision.give_up) == ("ingest", 3, False)

    await store.append(page_stream(page_id), [normalised(page_id)])
    progress = fold_page(await store.read_stream(page_stream(page_id)))
    assert (progress.waiting_for, progress.rerequests) == ("analysis", 0)
    await store.append(
        page_stream(page_id),
        [PageAnalysisFailed(page_id=page_id, code="c", reason="r", attempt=1, final=True)],
    )
    failed = fold_page(await store.read_stream(page_stream(page_id)))
    assert (failed.failed, failed.settled) == ("analysis", True)
    assert stall(failed, later, timedelta(seconds=60), 3) is None


async def test_the_sweeper_rerequests_a_stalled_page_and_gives_up_after_the_limit() -> None:
    store = InMemoryEventStore()
    job_id = await new_job(store)
    page_id = await page_with(store, job_id, normalised())
    settings = SweepSettings(stall_seconds=60, max_attempts=2)
    later = datetime.now(UTC) + timedelta(seconds=120)

    reports = [
        await sweep_stalled_pages(
            store, Candidates(page_id), settings, now=later + timedelta(minutes=5 * n)
        )
        for n in range(3)
    ]

    assert [(r.rerequested, r.gave_up) for r in reports] == [(1, 0), (1, 0), (0, 1)]
    events = [e.data for e in await store.read_stream(page_stream(page_id))][2:]
    assert [(e.stage, e.attempt) for e in events[:2]] == [("analysis", 1), ("analysis", 2)]  # type: ignore[attr-defined]
    assert all("the analysis stage made no progress" in e.reason for e in events[:2])  # type: ignore[attr-defined]
    gave_up = events[2]
    assert isinstance(gave_up, PageAnalysisFailed)
    assert (gave_up.final, gave_up.code, gave_up.attempt) == (True, "stalled", 2)
    assert gave_up.reason.endswith("gave up after 2 re-requests")
    # Settled for good: nothing more to sweep.
    again = await sweep_stalled_pages(
        store, Candidates(page_id), settings, now=later + timedelta(hours=1)
    )
    assert (again.rerequested, again.gave_up) == (0, 0)


async def test_the_sweeper_leaves_recent_and_cancelled_pages_alone() -> None:
    store = InMemoryEventStore()
    job_id = await new_job(store)
    page_id = await page_with(store, job_id, normalised())
    settings = SweepSettings(stall_seconds=600)
    recent = await sweep_stalled_pages(store, Candidates(page_id), settings)
    assert recent.rerequested == 0
    await store.append(job_stream(job_id), [JobCancelled(job_id=job_id)])
    much_later = datetime.now(UTC) + timedelta(hours=2)
    cancelled = await sweep_stalled_pages(store, Candidates(page_id), settings, now=much_later)
    assert cancelled.rerequested == 0
    assert len(await store.read_stream(page_stream(page_id))) == 2
