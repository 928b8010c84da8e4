"""`ReadModelProjection`: the gateway's read models, kept by `infra.projections.ProjectionRunner`.

A batch loads the rows its events touch in a few queries, reduces them in memory with the pure
reducers of `gateway.domain`, and writes back only the changed rows: the cost grows with the
rows touched, not with one round trip per event.
"""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from contracts import RecordedEvent
from gateway.adapters.tables import (
    CORPORA,
    JOB_PAGES,
    JOBS,
    MANUSCRIPTS,
    PAGES,
    READ_MODEL_TABLES,
)
from gateway.domain.reducers import EVENT_TYPES, apply_event
from gateway.domain.state import ReadModelState, keys_for


class ReadModelProjection:
    name = "gateway-read-models"
    event_types: Sequence[str] = EVENT_TYPES

    async def apply(self, connection: asyncpg.Connection, events: Sequence[RecordedEvent]) -> None:
        state = await self._load(connection, events)
        for event in events:
            apply_event(state, event)
        for table, rows in (
            (CORPORA, state.changed_rows("corpora")),
            (MANUSCRIPTS, state.changed_rows("manuscripts")),
            (PAGES, state.changed_rows("pages")),
            (JOBS, state.changed_rows("jobs")),
            (JOB_PAGES, state.changed_rows("job_pages")),
        ):
            await table.save(connection, rows)  # type: ignore[arg-type]

    async def reset(self, connection: asyncpg.Connection) -> None:
        await connection.execute(f"TRUNCATE {', '.join(READ_MODEL_TABLES)}")

    async def _load(
        self, connection: asyncpg.Connection, events: Sequence[RecordedEvent]
    ) -> ReadModelState:
        keys = keys_for(events)
        state = ReadModelState()
        for manuscript in await MANUSCRIPTS.load_by_ids(connection, list(keys.manuscripts)):
            state.manuscripts[manuscript.manuscript_id] = manuscript
            if manuscript.job_id is not None:
                keys.jobs.add(manuscript.job_id)
        for page in await PAGES.load_by_ids(connection, list(keys.pages)):
            state.pages[page.page_id] = page
        for job in await JOBS.load_by_ids(connection, list(keys.jobs)):
            state.jobs[job.job_id] = job
        if keys.job_pages:
            job_ids, page_ids = zip(*keys.job_pages, strict=True)
            where = "WHERE (job_id, page_id) IN (SELECT * FROM unnest($1::uuid[], $2::uuid[]))"
            for row in await JOB_PAGES.load(connection, where, list(job_ids), list(page_ids)):
                state.job_pages[(row.job_id, row.page_id)] = row
        return state
