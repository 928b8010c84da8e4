"""Request and response bodies of the editions API (corrections, status, history, imports)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, Field

from contracts import ArtifactRef, EditorialStatus, Operation, PageAnalysis
from contracts.edit_checks import StorableText

Reason = Annotated[
    StorableText, Field(default="", max_length=2000, description="why, for the history")
]
ExpectedVersion = Annotated[
    int,
    Field(
        ge=0,
        description="the page's stream version the change was made against (the `version` of "
        "`GET /v1/pages/{id}/transcription`); a change to the text after it makes this stale",
    ),
]


class CorrectionIn(BaseModel):
    expected_version: ExpectedVersion
    reason: Reason = ""
    operations: list[Operation] = Field(min_length=1, max_length=1000)


class StatusIn(BaseModel):
    expected_version: ExpectedVersion
    status: EditorialStatus
    reason: Reason = ""


class AdoptionIn(BaseModel):
    expected_version: ExpectedVersion
    lines: list[Annotated[StorableText, Field(min_length=1, max_length=200)]] | None = Field(
        default=None,
        min_length=1,
        max_length=10_000,
        description="the candidate's line ids to adopt; left out, the whole candidate",
    )
    reason: Reason = ""


class RecordedOut(BaseModel):
    page_id: UUID
    event_id: UUID
    type: str
    version: int = Field(description="the page's stream version this change was recorded at")
    position: int = Field(description="its global position, usable as `as_of`")
    analysis: ArtifactRef | None = Field(description="the resulting transcription, if it changed")
    links: dict[str, str]


class CandidateSummary(BaseModel):
    id: int = Field(description="the stream version that recorded the machine result")
    engine: str
    recorded_at: datetime
    analysis: ArtifactRef


class TranscriptionOut(BaseModel):
    page_id: UUID
    version: int = Field(description="the page's stream version: send it as `expected_version`")
    position: int
    as_of: str | None
    text_version: int = Field(description="the version that made the current text")
    status: EditorialStatus
    status_version: int
    analysis_ref: ArtifactRef | None
    analysis: PageAnalysis | None
    candidates: list[CandidateSummary]
    links: dict[str, str]


class VersionOut(BaseModel):
    version: int
    position: int
    recorded_at: datetime
    actor: str | None
    type: str
    became: Literal["current", "candidate", "status"]
    summary: str
    status: EditorialStatus
    analysis: ArtifactRef | None
    cer: float | None = Field(
        description="character error rate against the text current before it (grapheme-aware)"
    )


class VersionsOut(BaseModel):
    page_id: UUID
    version: int
    items: list[VersionOut]


class LineChangeOut(BaseModel):
    change: Literal["changed", "moved", "added", "deleted"]
    before_id: str | None
    after_id: str | None
    before_text: str | None
    after_text: str | None
    cer: float | None


class DiffOut(BaseModel):
    cer: float
    wer: float
    unchanged: int = Field(description="lines with the same text and geometry, not listed")
    lines: list[LineChangeOut]


class VersionDiffOut(DiffOut):
    page_id: UUID
    from_version: int
    to_version: int


class CandidateOut(CandidateSummary):
    position: int
    diff: DiffOut = Field(description="from the current transcription to this candidate")


class CandidatesOut(BaseModel):
    page_id: UUID
    version: int
    items: list[CandidateOut]


class ImportOut(BaseModel):
    id: UUID = Field(description="the import request's event id")
    page_id: UUID
    state: Literal["pending", "imported", "failed"]
    requested_version: int
    version: int | None = Field(description="the version the imported transcription became")
    reason: str | None
    links: dict[str, str]


class PageImportOut(BaseModel):
    file: str
    page_id: UUID
    matched_by: Literal["image name", "file name", "order"]
    id: UUID = Field(description="the import request's event id")
    status_url: str


class SkippedFileOut(BaseModel):
    file: str
    reason: str


class ManuscriptImportOut(BaseModel):
    manuscript_id: UUID
    imports: list[PageImportOut]
    skipped: list[SkippedFileOut]
