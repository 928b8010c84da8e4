"""A page's stream folded into where the page stands: the stage it waits for, or where its
latest attempt failed, and since when nothing has happened to it.

Retry decides from this which stage a failed page runs again from; the sweeper decides
whether a page has stalled, re-requests its stage a bounded number of times, then gives up
with a terminal failure saying why.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from contracts import (
    Event,
    PageAnalysisFailed,
    PageAnalysisRequested,
    PageAnalyzed,
    PageExported,
    PageExportFailed,
    PageImageNormalized,
    PageIngestFailed,
    PageRegistered,
    PageStage,
    PageStageRerequested,
    PageStageSkipped,
    RecordedEvent,
)

# Each event that moves a page: the stage it then waits for, and the stage that failed.
_MOVES: dict[type[Event], tuple[PageStage | None, PageStage | None]] = {
    PageRegistered: ("ingest", None),
    PageImageNormalized: ("analysis", None),
    PageIngestFailed: ("ingest", "ingest"),
    PageAnalysisRequested: ("analysis", None),
    PageAnalyzed: ("export", None),
    PageExportFailed: ("export", "export"),
    PageExported: (None, None),
}


@dataclass
class PageProgress:
    version: int = 0
    registered: bool = False
    job_id: UUID | None = None
    waiting_for: PageStage | None = None
    """The stage the page needs next; None once exported."""
    failed: PageStage | None = None
    """The stage whose latest run failed for good."""
    skipped: bool = False
    since: datetime | None = None
    """When the page last moved, was worked on or was asked to."""
    last_event: str | None = None
    rerequests: int = 0
    """Re-requests of `waiting_for` since the page last moved."""

    @property
    def settled(self) -> bool:
        """Nothing more will happen to the page unless someone asks."""
        return (
            not self.registered
            or self.waiting_for is None
            or self.failed is not None
            or self.skipped
        )


def fold_page(events: Iterable[RecordedEvent]) -> PageProgress:
    progress = PageProgress()
    for recorded in events:
        data = recorded.data
        progress.version, progress.since = recorded.stream_version, recorded.occurred_at
        progress.last_event = recorded.type
        job_id = getattr(data, "job_id", None)
        if isinstance(job_id, UUID):
            progress.job_id = job_id
        if isinstance(data, PageStageRerequested):
            same = progress.waiting_for == data.stage and progress.failed is None
            progress.rerequests = progress.rerequests + 1 if same else 1
            progress.waiting_for, progress.failed, progress.skipped = data.stage, None, False
        elif isinstance(data, PageStageSkipped):
            progress.skipped = True
        elif isinstance(data, PageAnalysisFailed):
            if data.final:
                progress.failed, progress.rerequests = "analysis", 0
        elif type(data) in _MOVES:
            progress.waiting_for, progress.failed = _MOVES[type(data)]
            progress.registered = progress.registered or isinstance(data, PageRegistered)
            progress.skipped, progress.rerequests = False, 0
    return progress


@dataclass(frozen=True)
class Stall:
    """What the sweeper does about a stalled page: re-request its stage, or give up."""

    stage: PageStage
    attempt: int
    give_up: bool
    reason: str


def stall(progress: PageProgress, now: datetime, after: timedelta, attempts: int) -> Stall | None:
    """The sweeper's decision for one page, or None when the page has not stalled."""
    if progress.settled or progress.since is None or progress.waiting_for is None:
        return None
    idle = now - progress.since
    if idle < after:
        return None
    stage = progress.waiting_for
    why = (
        f"the {stage} stage made no progress for {idle.total_seconds():.0f} s "
        f"after {progress.last_event}"
    )
    if progress.rerequests >= attempts:
        reason = f"{why}; gave up after {progress.rerequests} re-requests"
        return Stall(stage, progress.rerequests, True, reason)
    return Stall(stage, progress.rerequests + 1, False, why)


def stall_events(page_id: UUID, job_id: UUID | None, decision: Stall) -> list[Event]:
    """The re-request, or the terminal failure each stage's own consumers already count."""
    if not decision.give_up:
        return [
            PageStageRerequested(
                page_id=page_id,
                job_id=job_id,
                stage=decision.stage,
                attempt=decision.attempt,
                reason=decision.reason,
            )
        ]
    code, reason = "stalled", decision.reason
    if decision.stage == "ingest":
        return [
            PageIngestFailed(
                page_id=page_id, job_id=job_id, step="normalise", code=code, reason=reason
            )
        ]
    if decision.stage == "analysis":
        attempt = max(decision.attempt, 1)
        return [
            PageAnalysisFailed(
                page_id=page_id,
                job_id=job_id,
                code=code,
                reason=reason,
                attempt=attempt,
                final=True,
            )
        ]
    return [
        PageExportFailed(page_id=page_id, job_id=job_id, format="all", code=code, reason=reason)
    ]
