"""Job progress: how page events move a job's pages through the stages, and the status rules.

A page is terminal for a job when exported or failed (ingest, final analysis, export). A job is
finished when every expected page is terminal; it becomes `done` or `failed` only when its
`job.completed` event is recorded, so the status readers see is the one recorded exactly once.
"""

from __future__ import annotations

from datetime import datetime

from contracts import JobSummary
from contracts.job import FailedPage
from gateway.domain.models import JobPageRow, JobRow

REGISTERED, NORMALISED, ANALYZED, EXPORTED = 0, 1, 2, 3
STAGES = ("registered", "normalised", "analyzed", "exported", "failed")


def page_counts(page: JobPageRow) -> dict[str, int]:
    """What one page contributes to its job's per-stage counters."""
    return {
        "registered": 1,
        "normalised": int(page.stage >= NORMALISED),
        "analyzed": int(page.stage >= ANALYZED),
        "exported": int(page.stage >= EXPORTED and not page.failed),
        "failed": int(page.failed),
    }


def is_terminal(page: JobPageRow) -> bool:
    return page.failed or page.stage >= EXPORTED


def move_page(
    job: JobRow,
    page: JobPageRow,
    stage: int | None,
    failure: tuple[str, str] | None,
    at: datetime,
    *,
    reset: bool = False,
    touch_job: bool = True,
) -> None:
    """Advance (or, on a retry, `reset`) one page of a job and keep the job's counters in step."""
    before = page_counts(page)
    if reset:
        page.stage, page.failed, page.failure_stage, page.reason = NORMALISED, False, None, None
    if stage is not None and not reset:
        page.stage = max(page.stage, stage)
        if stage == EXPORTED:
            page.failed, page.failure_stage, page.reason = False, None, None
    if failure is not None:
        page.failed, (page.failure_stage, page.reason) = True, failure
    after = page_counts(page)
    for name in STAGES:
        job.counts[name] = job.counts.get(name, 0) + after[name] - before[name]
    if touch_job:
        touch(job, at)


def touch(job: JobRow, at: datetime) -> None:
    """Something happened to the job: it has started, and any earlier completion is outdated."""
    if job.started_at is None:
        job.started_at = at
    job.completed = False
    job.finished_at = None
    job.summary = None
    if not job.cancelled:
        job.status = "running"


def is_finished(job: JobRow) -> bool:
    """Every expected page is terminal (or the import itself failed)."""
    if job.import_error is not None:
        return True
    if job.expected_pages is None:
        return False
    counts = job.counts
    terminal = counts.get("exported", 0) + counts.get("failed", 0)
    return counts.get("registered", 0) >= job.expected_pages and terminal >= job.expected_pages


def completion_due(job: JobRow) -> bool:
    return not job.cancelled and not job.completed and is_finished(job)


def summarise(job: JobRow, pages: list[JobPageRow]) -> tuple[str, JobSummary]:
    """The status and summary to record in `job.completed`."""
    failures = [
        FailedPage(page_id=p.page_id, stage=p.failure_stage or "unknown", reason=p.reason or "")
        for p in sorted(pages, key=lambda p: str(p.page_id))
        if p.failed
    ]
    exported = job.counts.get("exported", 0)
    summary = JobSummary(
        pages=job.counts.get("registered", 0),
        exported=exported,
        failed=len(failures),
        failures=failures,
    )
    failed = job.import_error is not None or (bool(failures) and exported == 0)
    return ("failed" if failed else "done"), summary
