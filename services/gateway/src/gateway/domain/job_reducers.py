"""Reducers of the jobs read model: job events and the page events that carry a job id."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from contracts import (
    Event,
    JobCancelled,
    JobCompleted,
    JobCreated,
    JobRetried,
    ManuscriptImported,
    ManuscriptImportFailed,
    ManuscriptImportRequested,
    PageAnalysisFailed,
    PageAnalysisRequested,
    PageAnalyzed,
    PageExported,
    PageExportFailed,
    PageImageNormalized,
    PageIngestFailed,
    PageRegistered,
    PageStageRerequested,
    RecordedEvent,
)
from gateway.domain.jobs import (
    ANALYZED,
    EXPORTED,
    NORMALISED,
    REGISTERED,
    RUNS_AFTER,
    STAGES,
    is_terminal,
    move_page,
    page_counts,
    touch,
)
from gateway.domain.models import JobPageRow, JobRow
from gateway.domain.state import ReadModelState, job_of


def _job_created(state: ReadModelState, event: RecordedEvent, data: JobCreated) -> None:
    job = JobRow(
        job_id=data.job_id,
        kind=data.kind,
        status="pending",
        plan=data.plan.model_dump(mode="json"),
        created_at=event.occurred_at,
        version=event.stream_version,
        corpus_id=data.corpus_id,
        manuscript_id=data.manuscript_id,
        expected_pages=len(data.page_ids) if data.kind != "import" else None,
        counts=dict.fromkeys(STAGES, 0),
        # The import's own request is recorded just before the job, in the same transaction.
        imports_pending=int(data.kind == "import" and data.manuscript_id is not None),
    )
    state.jobs[job.job_id] = job
    state.mark("jobs", job.job_id)
    for page_id in data.page_ids:
        _add_page(state, job, JobPageRow(job.job_id, page_id, REGISTERED))


def _add_page(state: ReadModelState, job: JobRow, page: JobPageRow) -> None:
    state.job_pages[(job.job_id, page.page_id)] = page
    for name, value in page_counts(page).items():
        job.counts[name] = job.counts.get(name, 0) + value
    state.mark("job_pages", (job.job_id, page.page_id))


def _job_ended(state: ReadModelState, event: RecordedEvent, data: Any) -> None:
    job = state.jobs.get(data.job_id)
    if job is None:
        return
    job.version, job.finished_at = event.stream_version, event.occurred_at
    if isinstance(data, JobCancelled):
        job.cancelled, job.status = True, "cancelled"
    elif isinstance(data, JobCompleted):
        job.completed, job.status = True, data.status
        job.summary = data.summary.model_dump(mode="json")
    state.mark("jobs", job.job_id)


def _job_retried(state: ReadModelState, event: RecordedEvent, data: JobRetried) -> None:
    job = state.jobs.get(data.job_id)
    if job is None:
        return
    job.version = event.stream_version
    touch(job, event.occurred_at)
    state.mark("jobs", job.job_id)


def _member_requested(
    state: ReadModelState, event: RecordedEvent, data: ManuscriptImportRequested
) -> None:
    """A collection's member to import: the job waits for its outcome too."""
    job = state.jobs.get(data.job_id)
    if job is None or job.kind != "import" or data.manuscript_id == job.manuscript_id:
        return
    job.imports_pending += 1
    state.mark("jobs", job.job_id)


def _import_outcome(state: ReadModelState, event: RecordedEvent, data: Any) -> None:
    manuscript = state.manuscripts.get(data.manuscript_id)
    job_id = job_of(event) or (manuscript.job_id if manuscript else None)
    job = state.jobs.get(job_id) if job_id else None
    if job is None or job.kind != "import":
        return
    job.imports_pending = max(job.imports_pending - 1, 0)
    if isinstance(data, ManuscriptImported):
        job.expected_pages = (job.expected_pages or 0) + data.page_count
    else:
        job.import_error = data.reason
    touch(job, event.occurred_at)
    state.mark("jobs", job.job_id)


def _page_registered(state: ReadModelState, event: RecordedEvent, data: PageRegistered) -> None:
    job_id = job_of(event)
    job = state.jobs.get(job_id) if job_id else None
    if job is None or (job.job_id, data.page_id) in state.job_pages:
        return
    _add_page(state, job, JobPageRow(job.job_id, data.page_id, REGISTERED))
    touch(job, event.occurred_at)
    state.mark("jobs", job.job_id)


def _page_progress(state: ReadModelState, event: RecordedEvent, data: Any) -> None:
    job_id = job_of(event)
    if job_id is None:
        return
    page = state.job_pages.get((job_id, data.page_id))
    job = state.jobs.get(job_id)
    if page is None or job is None:
        return
    if isinstance(data, PageAnalysisRequested):
        retry = is_terminal(page)
        if page.stage >= NORMALISED and not retry:
            return
        # A first request is part of the submission; only a retry reopens the job.
        restart = NORMALISED if _has_image(state, data.page_id) else REGISTERED
        move_page(job, page, None, None, event.occurred_at, restart_at=restart, touch_job=retry)
    elif isinstance(data, PageStageRerequested):
        restart = RUNS_AFTER[data.stage]
        if data.stage == "analysis" and not _has_image(state, data.page_id):
            restart = REGISTERED
        move_page(job, page, None, None, event.occurred_at, restart_at=restart)
    elif isinstance(data, PageAnalysisFailed) and not data.final:
        return
    else:
        stage, failure = _STEP[type(data)](data)
        move_page(job, page, stage, failure, event.occurred_at)
    state.mark("jobs", job.job_id)
    state.mark("job_pages", (job.job_id, page.page_id))


def _has_image(state: ReadModelState, page_id: Any) -> bool:
    """Whether the page was normalised: only then does an analysis start it at `normalised`."""
    page = state.pages.get(page_id)
    return page is not None and bool(page.images)


_STEP: dict[type[Event], Callable[[Any], tuple[int | None, tuple[str, str] | None]]] = {
    PageImageNormalized: lambda d: (NORMALISED, None),
    PageIngestFailed: lambda d: (None, ("ingest", f"{d.code}: {d.reason}")),
    PageAnalyzed: lambda d: (ANALYZED, None),
    PageAnalysisFailed: lambda d: (None, ("analysis", f"{d.code}: {d.reason}")),
    PageExported: lambda d: (EXPORTED, None),
    PageExportFailed: lambda d: (None, ("export", f"{d.code}: {d.reason}")),
}

JOB_REDUCERS: dict[str, tuple[Callable[[ReadModelState, RecordedEvent, Any], None], ...]] = {
    JobCreated.type: (_job_created,),
    JobCancelled.type: (_job_ended,),
    JobCompleted.type: (_job_ended,),
    JobRetried.type: (_job_retried,),
    ManuscriptImportRequested.type: (_member_requested,),
    ManuscriptImported.type: (_import_outcome,),
    ManuscriptImportFailed.type: (_import_outcome,),
    PageRegistered.type: (_page_registered,),
    PageAnalysisRequested.type: (_page_progress,),
    PageStageRerequested.type: (_page_progress,),
    **{model.type: (_page_progress,) for model in _STEP},
}
