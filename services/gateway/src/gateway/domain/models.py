"""The rows of the read models, as plain values the reducers update and the adapters store."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

Json = dict[str, Any]


@dataclass
class CorpusRow:
    corpus_id: UUID
    slug: str
    title: str
    profile: str
    created_at: datetime


@dataclass
class ManuscriptRow:
    manuscript_id: UUID
    corpus_id: UUID
    job_id: UUID | None
    status: str
    source_kind: str
    created_at: datetime
    label: str | None = None
    page_count: int | None = None
    manifest_id: str | None = None
    formats: Json = field(default_factory=dict)
    error: Json | None = None


@dataclass
class PageRow:
    page_id: UUID
    manuscript_id: UUID
    corpus_id: UUID
    index: int
    status: str
    updated_at: datetime
    job_id: UUID | None = None
    label: str | None = None
    engine: str | None = None
    confidence: float | None = None
    attempts: int = 0
    images: Json = field(default_factory=dict)
    analysis: Json | None = None
    formats: Json = field(default_factory=dict)
    last_error: Json | None = None


@dataclass
class JobPageRow:
    job_id: UUID
    page_id: UUID
    stage: int
    failed: bool = False
    failure_stage: str | None = None
    reason: str | None = None


@dataclass
class JobRow:
    job_id: UUID
    kind: str
    status: str
    plan: Json
    created_at: datetime
    version: int
    corpus_id: UUID | None = None
    manuscript_id: UUID | None = None
    expected_pages: int | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    cancelled: bool = False
    completed: bool = False
    import_error: str | None = None
    counts: dict[str, int] = field(default_factory=dict)
    summary: Json | None = None
    imports_pending: int = 0
    """Manuscript imports of the job requested and not yet imported or failed."""
