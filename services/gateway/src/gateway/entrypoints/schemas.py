"""The API's request and response bodies (what `/openapi.json` documents)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar
from uuid import UUID

from pydantic import BaseModel, Field

from contracts import IiifSource, ImageListSource, Plan

Item = TypeVar("Item")


class Listing(BaseModel, Generic[Item]):
    items: list[Item]
    total: int
    offset: int
    limit: int


class Accepted(BaseModel):
    id: UUID
    status_url: str
    job_id: UUID | None = None
    manuscript_id: UUID | None = None


class ImportRequest(BaseModel):
    source: Annotated[IiifSource | ImageListSource, Field(discriminator="kind")]
    plan: Plan = Plan()


class CancelRequest(BaseModel):
    reason: str | None = Field(default=None, max_length=1000)


class CorpusOut(BaseModel):
    id: UUID
    slug: str
    title: str
    profile: str
    created_at: datetime


class CorpusDetail(CorpusOut):
    manuscripts: Listing[ManuscriptOut]


class ManuscriptOut(BaseModel):
    id: UUID
    corpus_id: UUID
    job_id: UUID | None
    status: str
    source_kind: str
    label: str | None
    page_count: int | None
    manifest_id: str | None
    created_at: datetime
    error: dict[str, Any] | None
    links: dict[str, str]


class PageOut(BaseModel):
    id: UUID
    manuscript_id: UUID
    corpus_id: UUID
    index: int
    label: str | None
    status: str
    engine: str | None
    confidence: float | None
    attempts: int
    job_id: UUID | None
    updated_at: datetime
    last_error: dict[str, Any] | None
    links: dict[str, str]


class FailedPageOut(BaseModel):
    page_id: UUID
    stage: str | None
    reason: str | None


class JobOut(BaseModel):
    id: UUID
    kind: str
    status: str
    corpus_id: UUID | None
    manuscript_id: UUID | None
    plan: dict[str, Any]
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    expected_pages: int | None
    counts: dict[str, int]
    import_error: str | None
    failed_pages: list[FailedPageOut] = Field(default_factory=list)


class RetryOut(BaseModel):
    job_id: UUID
    retried: list[UUID]


class EventOut(BaseModel):
    position: int
    event_id: UUID
    stream_id: str
    stream_version: int
    type: str
    schema_version: int
    occurred_at: datetime
    metadata: dict[str, Any]
    data: dict[str, Any]


class EventsOut(BaseModel):
    events: list[EventOut]
    next_after: int


class HealthOut(BaseModel):
    status: str
    checks: dict[str, str] = Field(default_factory=dict)


CorpusDetail.model_rebuild()
