"""Plans and registrations read from the event store: the page export keeps no state."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from contracts import JobCreated, PageRegistered, job_stream, page_stream
from exporter.domain.formats import MANUSCRIPT_FORMATS, PageFormat
from infra.eventstore import EventStore

ALL_PAGE_FORMATS = tuple(fmt.value for fmt in PageFormat)


class StoredPlans:
    def __init__(self, store: EventStore) -> None:
        self.store = store

    async def page_formats(self, job_id: UUID | None) -> Sequence[str]:
        """The page formats the job's plan asks for; every one without a job or plan.

        Manuscript formats in the plan are left to the manuscript export; unknown names are
        kept, so the page export reports them rather than silently skipping them.
        """
        if job_id is None:
            return ALL_PAGE_FORMATS
        for recorded in await self.store.read_stream(job_stream(job_id)):
            if isinstance(recorded.data, JobCreated):
                exports = recorded.data.plan.exports
                return [name for name in exports if name not in MANUSCRIPT_FORMATS]
        return ALL_PAGE_FORMATS


class StoredRegistrations:
    """A page's `page.registered`, for `ExportPorts.registration`."""

    def __init__(self, store: EventStore) -> None:
        self.store = store

    async def __call__(self, page_id: UUID) -> PageRegistered | None:
        for recorded in await self.store.read_stream(page_stream(page_id)):
            if isinstance(recorded.data, PageRegistered):
                return recorded.data
        return None
