"""The watched manifests' read model in PostgreSQL (`ingest_watched_manifests`).

Rows are created and fed by `WatchedManifestsProjection`; the scheduler records its readings
here. Canvas ids are merged as sets on both sides, so whichever of the projection and the
scheduler writes last, no registered canvas is forgotten.
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

import asyncpg

from contracts import PageRegistered
from ingest.domain.watch import WatchedManifest

TABLE = "ingest_watched_manifests"
MERGED_CANVASES = "ARRAY(SELECT DISTINCT unnest(canvas_ids || $2::text[]))"
LATER = "now() + make_interval(secs => $3)"

_DUE = f"""
SELECT manuscript_id, corpus_id, job_id, url, interval_seconds, canvas_ids, next_index,
       etag, last_modified
FROM {TABLE} WHERE next_check_at <= now() ORDER BY next_check_at LIMIT $1
"""
_NOT_MODIFIED = f"""
UPDATE {TABLE} SET next_check_at = now() + make_interval(secs => $2),
                   last_checked_at = now(), last_error = NULL
WHERE manuscript_id = $1
"""
_CHECKED = f"""
UPDATE {TABLE} SET canvas_ids = {MERGED_CANVASES}, next_check_at = {LATER},
                   next_index = greatest(next_index, $4), etag = $5, last_modified = $6,
                   last_checked_at = now(), last_error = NULL
WHERE manuscript_id = $1
"""
_FAILED = f"""
UPDATE {TABLE} SET next_check_at = now() + make_interval(secs => $2),
                   last_checked_at = now(), last_error = $3
WHERE manuscript_id = $1
"""


class PostgresWatchedManifests:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def due(self, limit: int) -> list[WatchedManifest]:
        async with self.pool.acquire() as connection:
            rows = await connection.fetch(_DUE, limit)
        return [
            WatchedManifest(
                manuscript_id=row["manuscript_id"],
                corpus_id=row["corpus_id"],
                job_id=row["job_id"],
                url=row["url"],
                interval_seconds=row["interval_seconds"],
                canvas_ids=frozenset(row["canvas_ids"]),
                next_index=row["next_index"],
                etag=row["etag"],
                last_modified=row["last_modified"],
            )
            for row in rows
        ]

    async def not_modified(self, manuscript_id: UUID, *, delay: float) -> None:
        async with self.pool.acquire() as connection:
            await connection.execute(_NOT_MODIFIED, manuscript_id, delay)

    async def checked(
        self,
        manuscript_id: UUID,
        *,
        etag: str | None,
        last_modified: str | None,
        registered: Sequence[PageRegistered],
        delay: float,
    ) -> None:
        canvas_ids = [p.canvas_id for p in registered if p.canvas_id is not None]
        next_index = max((p.index + 1 for p in registered), default=0)
        async with self.pool.acquire() as connection:
            await connection.execute(
                _CHECKED, manuscript_id, canvas_ids, delay, next_index, etag, last_modified
            )

    async def failed(self, manuscript_id: UUID, *, reason: str, delay: float) -> None:
        async with self.pool.acquire() as connection:
            await connection.execute(_FAILED, manuscript_id, delay, reason)
