"""Find pages that made no progress, re-request their stage, and give up after a limit.

A message lost between the bus and a consumer, or a consumer that died holding one, leaves
a page waiting forever. The read model names the candidates (unsettled, untouched for a
while); each page's own stream decides, and the re-request (or terminal failure) is appended
against that stream's version, so a page that progressed meanwhile keeps its progress.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol
from uuid import UUID

from contracts import Metadata, page_stream
from contracts.errors import WrongExpectedVersion
from gateway.domain.page_progress import fold_page, stall, stall_events
from infra.eventstore import EventStore
from infra.stage_guard import cancellation

log = logging.getLogger(__name__)
ACTOR = "gateway-sweeper"


class StalledPageCandidates(Protocol):
    async def unsettled_pages(self, idle_seconds: float, limit: int) -> list[UUID]:
        """Pages not exported, failed or skipped, untouched for `idle_seconds`, oldest first."""
        ...


@dataclass(frozen=True)
class SweepSettings:
    stall_seconds: float = 900.0
    max_attempts: int = 3
    batch_size: int = 500


@dataclass
class SweepReport:
    checked: int = 0
    rerequested: int = 0
    gave_up: int = 0
    progressed: int = 0
    """Pages that moved between the decision and the append: their progress won."""


async def sweep_stalled_pages(
    store: EventStore,
    candidates: StalledPageCandidates,
    settings: SweepSettings,
    now: datetime | None = None,
) -> SweepReport:
    report = SweepReport()
    now = now or datetime.now(UTC)
    after = timedelta(seconds=settings.stall_seconds)
    for page_id in await candidates.unsettled_pages(settings.stall_seconds, settings.batch_size):
        report.checked += 1
        progress = fold_page(await store.read_stream(page_stream(page_id)))
        decision = stall(progress, now, after, settings.max_attempts)
        if decision is None or await cancellation(store, progress.job_id) is not None:
            continue
        try:
            await store.append(
                page_stream(page_id),
                stall_events(page_id, progress.job_id, decision),
                expected_version=progress.version,
                metadata=Metadata(correlation_id=progress.job_id, actor=ACTOR),
            )
        except WrongExpectedVersion:
            report.progressed += 1
            continue
        if decision.give_up:
            report.gave_up += 1
            log.warning("page %s stalled for good: %s", page_id, decision.reason)
        else:
            report.rerequested += 1
            log.info(
                "page %s re-requested (attempt %d): %s", page_id, decision.attempt, decision.reason
            )
    return report
