"""Project the event log into `ingest_watched_manifests`, for `infra.projections.ProjectionRunner`.

`manuscript.import_requested` with a watch interval adds a row; `manuscript.imported` makes it
due one interval later (a collection is dropped: its members carry their own watch);
`page.registered` adds the canvas to the manuscript's known ones, whoever registered it.
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

import asyncpg

from contracts import (
    IiifSource,
    ManuscriptImported,
    ManuscriptImportRequested,
    PageRegistered,
    RecordedEvent,
)
from ingest.adapters.watched_manifests import TABLE

_WATCH = f"""
INSERT INTO {TABLE} (manuscript_id, corpus_id, job_id, url, interval_seconds)
VALUES ($1, $2, $3, $4, $5) ON CONFLICT (manuscript_id) DO NOTHING
"""
_FIRST_CHECK = f"""
UPDATE {TABLE}
SET next_check_at = now() + make_interval(secs => greatest(interval_seconds, $2))
WHERE manuscript_id = $1 AND next_check_at IS NULL
"""
_FORGET = f"DELETE FROM {TABLE} WHERE manuscript_id = $1"
_PAGES = f"""
UPDATE {TABLE} SET canvas_ids = ARRAY(SELECT DISTINCT unnest(canvas_ids || $2::text[])),
                   next_index = greatest(next_index, $3)
WHERE manuscript_id = $1
"""


class WatchedManifestsProjection:
    name: str = "ingest-watched-manifests"
    event_types: Sequence[str] = (
        "manuscript.import_requested",
        "manuscript.imported",
        "page.registered",
    )

    def __init__(self, *, min_interval_seconds: float = 60.0) -> None:
        self.min_interval_seconds = min_interval_seconds

    async def apply(self, connection: asyncpg.Connection, events: Sequence[RecordedEvent]) -> None:
        pages: dict[UUID, tuple[list[str], int]] = {}
        for recorded in events:
            event = recorded.data
            if isinstance(event, ManuscriptImportRequested):
                await self._watch(connection, event)
            elif isinstance(event, ManuscriptImported):
                if event.members:
                    await connection.execute(_FORGET, event.manuscript_id)
                else:
                    await connection.execute(
                        _FIRST_CHECK, event.manuscript_id, self.min_interval_seconds
                    )
            elif isinstance(event, PageRegistered) and event.canvas_id is not None:
                # Pages come by the hundred per manuscript: one update per manuscript and batch.
                canvas_ids, next_index = pages.get(event.manuscript_id, ([], 0))
                canvas_ids.append(event.canvas_id)
                pages[event.manuscript_id] = canvas_ids, max(next_index, event.index + 1)
        if pages:
            await connection.executemany(
                _PAGES, [(m, ids, index) for m, (ids, index) in pages.items()]
            )

    async def reset(self, connection: asyncpg.Connection) -> None:
        await connection.execute(f"TRUNCATE {TABLE}")

    @staticmethod
    async def _watch(connection: asyncpg.Connection, event: ManuscriptImportRequested) -> None:
        source = event.source
        if isinstance(source, IiifSource) and source.watch_interval_seconds is not None:
            await connection.execute(
                _WATCH,
                event.manuscript_id,
                event.corpus_id,
                event.job_id,
                str(source.url),
                source.watch_interval_seconds,
            )
