"""`ReadModelProjection`: the gateway's read models, kept by `infra.projections.ProjectionRunner`.

A batch loads the rows its events touch in a few queries, reduces them in memory with the pure
reducers of `gateway.domain`, and writes back only the changed rows: the cost grows with the
rows touched, not with one round trip per event. Rows are also kept between batches (see
`kept_rows`) while the runner vouches that nothing else wrote the tables since: one instance
per runner.
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

import asyncpg

from contracts import RecordedEvent
from gateway.adapters.kept_rows import KeptRows
from gateway.adapters.tables import (
    CORPORA,
    JOB_PAGES,
    JOBS,
    MANUSCRIPTS,
    PAGES,
    READ_MODEL_TABLES,
)
from gateway.domain.models import JobPageRow, JobRow, ManuscriptRow, PageRow
from gateway.domain.reducers import EVENT_TYPES, apply_event
from gateway.domain.state import ReadModelState, keys_for


class ReadModelProjection:
    name = "gateway-read-models"
    event_types: Sequence[str] = EVENT_TYPES

    def __init__(self, kept_rows: int = 10_000) -> None:
        """`kept_rows`: how many rows of each table to keep between batches."""
        self.manuscripts: KeptRows[UUID, ManuscriptRow] = KeptRows(kept_rows)
        self.pages: KeptRows[UUID, PageRow] = KeptRows(kept_rows)
        self.jobs: KeptRows[UUID, JobRow] = KeptRows(kept_rows)
        self.job_pages: KeptRows[tuple[UUID, UUID], JobPageRow] = KeptRows(kept_rows)

    def forget(self) -> None:
        for kept in (self.manuscripts, self.pages, self.jobs, self.job_pages):
            kept.clear()

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
        # As saved: the runner forgets them if the transaction does not commit.
        self.manuscripts.keep(state.manuscripts)
        self.pages.keep(state.pages)
        self.jobs.keep(state.jobs)
        self.job_pages.keep(state.job_pages)

    async def reset(self, connection: asyncpg.Connection) -> None:
        await connection.execute(f"TRUNCATE {', '.join(READ_MODEL_TABLES)}")

    async def _load(
        self, connection: asyncpg.Connection, events: Sequence[RecordedEvent]
    ) -> ReadModelState:
        keys = keys_for(events)
        state = ReadModelState()
        state.manuscripts, missing = self.manuscripts.take(keys.manuscripts)
        for manuscript in await MANUSCRIPTS.load_by_ids(connection, missing):
            state.manuscripts[manuscript.manuscript_id] = manuscript
        keys.jobs.update(m.job_id for m in state.manuscripts.values() if m.job_id is not None)
        state.pages, missing = self.pages.take(keys.pages)
        for page in await PAGES.load_by_ids(connection, missing):
            state.pages[page.page_id] = page
        state.jobs, missing = self.jobs.take(keys.jobs)
        for job in await JOBS.load_by_ids(connection, missing):
            state.jobs[job.job_id] = job
        state.job_pages, missing_pairs = self.job_pages.take(keys.job_pages)
        if missing_pairs:
            job_ids, page_ids = zip(*missing_pairs, strict=True)
            where = "WHERE (job_id, page_id) IN (SELECT * FROM unnest($1::uuid[], $2::uuid[]))"
            for row in await JOB_PAGES.load(connection, where, list(job_ids), list(page_ids)):
                state.job_pages[(row.job_id, row.page_id)] = row
        return state
