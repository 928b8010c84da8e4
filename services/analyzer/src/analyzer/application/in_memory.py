"""In-memory twins of the handler's lookup ports, for tests and single-process runs."""

from __future__ import annotations

from uuid import UUID

from contracts import PageImageNormalized, Plan


class InMemoryPageImages:
    def __init__(self) -> None:
        self.pages: dict[UUID, PageImageNormalized] = {}

    def add(self, event: PageImageNormalized) -> None:
        self.pages[event.page_id] = event

    async def normalized(self, page_id: UUID) -> PageImageNormalized | None:
        return self.pages.get(page_id)


class StaticPlanSource:
    """Plans by job id; pages of unknown jobs get None (their corpus profile's plan)."""

    def __init__(self, plans: dict[UUID, Plan] | None = None) -> None:
        self.plans = plans or {}

    async def plan_for(self, page_id: UUID, job_id: UUID | None) -> Plan | None:
        return self.plans.get(job_id) if job_id else None
