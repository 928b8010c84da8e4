"""The in-memory twin of `PostgresWatchedManifests`, for fast tests of the sweep."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from uuid import UUID

from contracts import PageRegistered
from ingest.domain.watch import WatchedManifest


@dataclass
class WatchedRow:
    manifest: WatchedManifest
    next_check_at: float
    last_error: str | None = None


class InMemoryWatchedManifests:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.rows: dict[UUID, WatchedRow] = {}

    def watch(self, manifest: WatchedManifest, *, due_in: float = 0.0) -> None:
        self.rows[manifest.manuscript_id] = WatchedRow(manifest, self.clock() + due_in)

    async def due(self, limit: int) -> list[WatchedManifest]:
        now = self.clock()
        ready = sorted(
            (row for row in self.rows.values() if row.next_check_at <= now),
            key=lambda row: row.next_check_at,
        )
        return [row.manifest for row in ready[:limit]]

    async def not_modified(self, manuscript_id: UUID, *, delay: float) -> None:
        row = self.rows[manuscript_id]
        row.next_check_at, row.last_error = self.clock() + delay, None

    async def checked(
        self,
        manuscript_id: UUID,
        *,
        etag: str | None,
        last_modified: str | None,
        registered: Sequence[PageRegistered],
        delay: float,
    ) -> None:
        row = self.rows[manuscript_id]
        known = row.manifest
        row.manifest = dataclasses.replace(
            known,
            canvas_ids=known.canvas_ids | {p.canvas_id for p in registered if p.canvas_id},
            next_index=max([known.next_index, *(p.index + 1 for p in registered)]),
            etag=etag,
            last_modified=last_modified,
        )
        row.next_check_at, row.last_error = self.clock() + delay, None

    async def failed(self, manuscript_id: UUID, *, reason: str, delay: float) -> None:
        row = self.rows[manuscript_id]
        row.next_check_at, row.last_error = self.clock() + delay, reason
