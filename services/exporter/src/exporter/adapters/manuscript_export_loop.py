"""The background task that exports manuscripts once all their pages are done.

Each round asks the progress table for manuscripts whose pages are all terminal and whose
export is missing or stale, and exports each under a per-manuscript advisory lock, so two
replicas do not build the same files at once (the expected version decides if they still do).
A failure is logged and the manuscript comes up again next round.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from uuid import UUID

import asyncpg

from contracts.errors import WrongExpectedVersion
from exporter.adapters.manuscript_progress import MANUSCRIPTS, PAGES
from exporter.application.export_manuscript import export_manuscript
from exporter.application.ports import DueManuscript, ManuscriptExportPorts

log = logging.getLogger(__name__)

EXPORT_LOCK_CLASS = 7263746
"""First key of the two-key advisory lock per manuscript (the second is its id's hash)."""

_DUE = f"""
SELECT manuscript_id, last_change FROM {MANUSCRIPTS}
WHERE NOT up_to_date AND imported_pages IS NOT NULL AND last_change IS NOT NULL
  AND greatest(imported_pages, registered_pages) > 0
  AND terminal_pages >= greatest(imported_pages, registered_pages)
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
    ) -> None:
        self.pool, self.ports = pool, ports
        self.poll_seconds, self.batch_size = poll_seconds, batch_size

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.run_once()
            except Exception:
                log.exception("manuscript export round failed; trying again next round")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.poll_seconds)

    async def run_once(self) -> int:
        """Export every due manuscript this replica can lock; returns how many it recorded."""
        async with self.pool.acquire() as connection:
            rows = await connection.fetch(_DUE, self.batch_size)
        recorded = 0
        for manuscript_id, last_change in rows:
            try:
                recorded += await self._export_locked(manuscript_id, last_change)
            except WrongExpectedVersion as error:
                log.info("manuscript %s was exported by another replica: %s", manuscript_id, error)
            except Exception:
                log.exception("manuscript %s: export failed; retrying next round", manuscript_id)
        return recorded

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
