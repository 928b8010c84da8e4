"""Job progress: how page events move a job's pages through the stages, and the status rules.

A page is terminal for a job when exported or failed (ingest, final analysis, export). Each
page counts once, at its latest state: a page run again from a stage goes back to the stage
before it, so no counter keeps what the earlier attempt reached. A job is finished when no
import is pending and every expected page is terminal; it becomes `done` or `failed` only when
its `job.completed` event is recorded, so the status readers see is recorded exactly once.
"""

from __future__ import annotations

from datetime import datetime

from contracts import JobSummary
from contracts.job import FailedPage
from gateway.domain.models import JobPageRow, JobRow

REGISTERED, NORMALISED, ANALYZED, EXPORTED = 0, 1, 2, 3
STAGES = ("registered", "normalised", "analyzed", "exported", "failed")
RUNS_AFTER = {"ingest": REGISTERED, "analysis": NORMALISED, "export": ANALYZED}
"""The stage a page is back at when a stage of it runs again."""


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
    restart_at: int | None = None,
    touch_job: bool = True,
) -> None:
    """Advance one page of a job (or, when a stage runs again, put it back at `restart_at`)
    and keep the job's counters in step."""
    before = page_counts(page)
    if restart_at is not None:
        page.stage, page.failed, page.failure_stage, page.reason = restart_at, False, None, None
    elif stage is not None:
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
    """Something happened to the job: it has started, and any earlier completion is outdated.

    A cancelled job stays cancelled and finished, whatever its pages in flight still record.
    """
    if job.started_at is None:
        job.started_at = at
    if job.cancelled:
        return
    job.completed = False
    job.finished_at = None
    job.summary = None
    if not job.cancelled:
        job.status = "running"


def is_finished(job: JobRow) -> bool:
    """No import is pending and every expected page is terminal (or the import failed)."""
    if job.imports_pending > 0:
        return False
    if job.expected_pages is None:
        return job.import_error is not None
    counts = job.counts
    terminal = counts.get("exported", 0) + counts.get("failed", 0)
    return counts.get("registered", 0) >= job.expected_pages and terminal >= job.expected_pages


def completion_due(job: JobRow) -> bool:
    return not job.cancelled and not job.completed and is_finished(job)


def summarise(job: JobRow, pages: list[JobPageRow]) -> tuple[str, JobSummary, str | None]:
    """The status, summary and (for a failed job) reason to record in `job.completed`."""
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
    reason = job.import_error
    if reason is None and job.kind == "import" and summary.pages == 0:
        reason = "the import registered no page"
    failed = reason is not None or (bool(failures) and exported == 0)
    return ("failed" if failed else "done"), summary, reason
