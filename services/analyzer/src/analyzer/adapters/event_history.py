"""Plans and page images read from the event store: the analyzer keeps no state of its own."""

from __future__ import annotations

from uuid import UUID

from contracts import JobCreated, PageImageNormalized, Plan, job_stream, page_stream
from infra.eventstore import EventStore


class StoredPlans:
    """The plan of the page's job, from its `job.created` event."""

    def __init__(self, store: EventStore) -> None:
        self.store = store

    async def plan_for(self, page_id: UUID, job_id: UUID | None) -> Plan | None:
        if job_id is None:
            return None
        for recorded in await self.store.read_stream(job_stream(job_id)):
            if isinstance(recorded.data, JobCreated):
                return recorded.data.plan
        return None


class StoredPageImages:
    """The latest normalized image of a page, from its stream."""

    def __init__(self, store: EventStore) -> None:
        self.store = store

    async def normalized(self, page_id: UUID) -> PageImageNormalized | None:
        latest = None
        for recorded in await self.store.read_stream(page_stream(page_id)):
            if isinstance(recorded.data, PageImageNormalized):
                latest = recorded.data
        return latest
