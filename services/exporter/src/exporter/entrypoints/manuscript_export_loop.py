"""The background task that exports manuscripts once all their pages are done.

Each round asks the progress table for manuscripts whose pages are all terminal and whose
export is missing or stale, and exports each under a per-manuscript advisory lock, so two
replicas do not build the same files at once (the expected version decides if they still do).
A failure is logged and the manuscript comes up again after a growing pause, so one that
keeps failing neither floods the log nor holds up the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from uuid import UUID

import asyncpg

from contracts.errors import WrongExpectedVersion
from exporter.adapters.manuscript_progress import MANUSCRIPTS, PAGES
from exporter.application.export_manuscript import export_manuscript
from exporter.application.ports import DueManuscript, ManuscriptExportPorts
from infra.locks import AdvisoryLock
from infra.wakeups import Wakeup

log = logging.getLogger(__name__)

EXPORT_LOCK_CLASS = AdvisoryLock.MANUSCRIPT_EXPORT.value

MAX_RETRY_PAUSE = 300.0

_DUE = f"""
SELECT manuscript_id, last_change FROM {MANUSCRIPTS}
WHERE NOT up_to_date AND imported_pages IS NOT NULL AND last_change IS NOT NULL
  AND greatest(imported_pages, registered_pages) > 0
  AND terminal_pages >= greatest(imported_pages, registered_pages)
  AND manuscript_id <> ALL($2::uuid[])
ORDER BY manuscript_id LIMIT $1
"""
_PAGE_IDS = f"SELECT page_id FROM {PAGES} WHERE manuscript_id = $1 ORDER BY index, page_id"
_TRY_LOCK = "SELECT pg_try_advisory_xact_lock($1, hashtext($2))"


class ManuscriptExportLoop:
    def __init__(
        self,
        pool: asyncpg.Pool,
        ports: ManuscriptExportPorts,
        *,
        poll_seconds: float = 1.0,
        batch_size: int = 20,
        wakeup: Wakeup | None = None,
    ) -> None:
        """`wakeup`: fired when the progress table moves, with a round at least every
        `poll_seconds` (failed manuscripts come back after multiples of it); without one, a
        round every `poll_seconds` only."""
        self.pool, self.ports = pool, ports
        self.poll_seconds, self.batch_size = poll_seconds, batch_size
        self.wakeup = wakeup
        self.failures: dict[UUID, tuple[int, float]] = {}
        """Per manuscript: failed attempts in a row, and when to try again (monotonic)."""

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.run_once()
            except Exception:
                log.exception("manuscript export round failed; trying again next round")
            if self.wakeup is not None:
                await self.wakeup.wait(stop, max(self.poll_seconds, self.wakeup.quiet_seconds))
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.poll_seconds)

    async def run_once(self) -> int:
        """Export every due manuscript this replica can lock; returns how many it recorded."""
        async with self.pool.acquire() as connection:
            rows = await connection.fetch(_DUE, self.batch_size, self._resting())
        recorded = 0
        for manuscript_id, last_change in rows:
            try:
                recorded += await self._export_locked(manuscript_id, last_change)
            except WrongExpectedVersion as error:
                log.info("manuscript %s was exported by another replica: %s", manuscript_id, error)
            except Exception:
                pause = self._failed(manuscript_id)
                log.exception(
                    "manuscript %s: export failed; retrying in %.0f s", manuscript_id, pause
                )
            else:
                self.failures.pop(manuscript_id, None)
        return recorded

    def _resting(self) -> list[UUID]:
        now = time.monotonic()
        return [key for key, (_, until) in self.failures.items() if until > now]

    def _failed(self, manuscript_id: UUID) -> float:
        attempts = self.failures.get(manuscript_id, (0, 0.0))[0] + 1
        pause = min(MAX_RETRY_PAUSE, self.poll_seconds * 2.0**attempts)
        self.failures[manuscript_id] = attempts, time.monotonic() + pause
        return pause

    async def _export_locked(self, manuscript_id: UUID, last_change: UUID) -> int:
        async with self.pool.acquire() as connection, connection.transaction():
            if not await connection.fetchval(_TRY_LOCK, EXPORT_LOCK_CLASS, str(manuscript_id)):
                return 0  # another replica is building it right now
            page_ids = [row[0] for row in await connection.fetch(_PAGE_IDS, manuscript_id)]
            due = DueManuscript(manuscript_id, last_change, page_ids)
            exported = await export_manuscript(due, self.ports)
        if exported is not None:
            log.info(
                "manuscript exported",
                extra={
                    "manuscript_id": str(manuscript_id),
                    "pages_exported": exported.pages_exported,
                    "pages_failed": exported.pages_failed,
                },
            )
        return 1 if exported is not None else 0
