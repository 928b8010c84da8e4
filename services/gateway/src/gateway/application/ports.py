"""What the command handlers need besides the event store: read models and a plan check."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Protocol
from uuid import UUID

from contracts import Plan
from contracts.errors import InvalidEventData, InvalidRequest
from gateway.domain.models import CorpusRow, JobPageRow, JobRow, PageRow

PlanValidator = Callable[[Plan], list[str]]
"""Problems with a plan (unknown engine, bad prompt…), empty when it can run."""


def accept_any_plan(plan: Plan) -> list[str]:
    return []


class ReadModelQueries(Protocol):
    async def corpus(self, corpus_id: UUID) -> CorpusRow | None: ...
    async def page_ids(
        self, *, corpus_id: UUID | None = None, manuscript_id: UUID | None = None
    ) -> list[tuple[UUID, UUID]]: ...
    async def pages_by_ids(self, page_ids: list[UUID]) -> list[PageRow]: ...
    async def job(self, job_id: UUID) -> JobRow | None: ...
    async def job_pages(self, job_id: UUID, *, failed_only: bool = False) -> list[JobPageRow]: ...
    async def jobs_due(self) -> list[JobRow]: ...


@contextlib.contextmanager
def refused_if_unrecordable() -> Iterator[None]:
    """Input that passed the API's schema but not the event's own (URL normalised past its
    length limit, say) is the client's to fix: a 422, not a 500."""
    try:
        yield
    except InvalidEventData as error:
        raise InvalidRequest(f"the request cannot be recorded: {error}") from error
