"""What every stage handler reads from the event store before it works on a page.

A job cancelled after a page's message was published must not have that page analyzed or
exported, and a re-requested stage the page has meanwhile finished (or failed) must not run
twice. Both are decided from the streams, never from a read model, which may lag behind.
"""

from __future__ import annotations

from uuid import UUID

from contracts import (
    Event,
    JobCancelled,
    PageAnalysisFailed,
    PageAnalyzed,
    PageExported,
    PageExportFailed,
    PageImageNormalized,
    PageIngestFailed,
    PageStage,
    PageStageRerequested,
    PageStageSkipped,
    RecordedEvent,
    job_stream,
    page_stream,
)
from infra.eventstore import EventStore


async def cancellation(store: EventStore, job_id: UUID | None) -> JobCancelled | None:
    """The job's `job.cancelled`, if it has been recorded."""
    if job_id is None:
        return None
    for recorded in await store.read_stream(job_stream(job_id)):
        if isinstance(recorded.data, JobCancelled):
            return recorded.data
    return None


def skipped(
    page_id: UUID, job_id: UUID | None, stage: PageStage, cancelled: JobCancelled
) -> tuple[str, PageStageSkipped]:
    """The skip a handler records instead of running a stage of a cancelled job's page."""
    reason = f"job {job_id} was cancelled before the {stage} stage ran"
    if cancelled.reason:
        reason += f" ({cancelled.reason})"
    return page_stream(page_id), PageStageSkipped(
        page_id=page_id, job_id=job_id, stage=stage, reason=reason
    )


def ends_stage(stage: PageStage, event: Event) -> bool:
    """Whether `event` finishes `stage` for its page, successfully or for good."""
    if stage == "ingest":
        return isinstance(event, PageImageNormalized | PageIngestFailed)
    if stage == "analysis":
        return isinstance(event, PageAnalyzed) or (
            isinstance(event, PageAnalysisFailed) and event.final
        )
    return isinstance(event, PageExported | PageExportFailed)


async def rerun_outdated(store: EventStore, rerequest: RecordedEvent) -> str | None:
    """Why a recorded `page.stage_rerequested` no longer needs running, or None if it does."""
    data = rerequest.data
    assert isinstance(data, PageStageRerequested)
    later = await store.read_stream(rerequest.stream_id, from_version=rerequest.stream_version + 1)
    for recorded in later:
        if ends_stage(data.stage, recorded.data):
            return f"the {data.stage} stage ended since ({recorded.type})"
        if isinstance(recorded.data, PageStageRerequested) and recorded.data.stage == data.stage:
            return f"a later re-request (attempt {recorded.data.attempt}) supersedes it"
    return None
