"""Human work on a page's transcription: corrections, status, adopted candidates, imports.

These events join the page's stream beside the machine's `page.analyzed`. Each carries the
stream version it was made against and, where the text changes, the resulting `PageAnalysis`
as an artifact, so a reader never has to replay operations to know the text.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal
from uuid import UUID

from pydantic import Field

from contracts.base import Event
from contracts.edit_checks import StorableText
from contracts.operations import Operation
from contracts.values import ArtifactRef


class EditorialStatus(StrEnum):
    MACHINE_DRAFT = "machine_draft"
    NEEDS_REVIEW = "needs_review"
    REVIEWED = "reviewed"
    VALIDATED = "validated"
    PUBLISHED = "published"


ALLOWED_TRANSITIONS: dict[EditorialStatus, frozenset[EditorialStatus]] = {
    EditorialStatus.MACHINE_DRAFT: frozenset({EditorialStatus.NEEDS_REVIEW}),
    EditorialStatus.NEEDS_REVIEW: frozenset(
        {EditorialStatus.REVIEWED, EditorialStatus.MACHINE_DRAFT}
    ),
    EditorialStatus.REVIEWED: frozenset({EditorialStatus.VALIDATED, EditorialStatus.NEEDS_REVIEW}),
    EditorialStatus.VALIDATED: frozenset({EditorialStatus.PUBLISHED, EditorialStatus.NEEDS_REVIEW}),
    EditorialStatus.PUBLISHED: frozenset({EditorialStatus.NEEDS_REVIEW}),
}
"""Forward one step at a time; any later status can go back to review."""


def may_move(current: EditorialStatus, wanted: EditorialStatus) -> bool:
    return wanted in ALLOWED_TRANSITIONS[current]


class PageCorrected(Event):
    type = "page.corrected"

    page_id: UUID
    against_version: int = Field(ge=0, description="the stream version the editor read")
    actor: str
    reason: StorableText = ""
    operations: list[Operation] = Field(min_length=1)
    base: ArtifactRef = Field(description="the transcription the operations were applied to")
    analysis: ArtifactRef = Field(description="the resulting PageAnalysis")


class PageStatusChanged(Event):
    type = "page.status_changed"

    page_id: UUID
    against_version: int = Field(ge=0)
    actor: str
    previous: EditorialStatus
    status: EditorialStatus
    reason: StorableText = ""


class PageCandidateAdopted(Event):
    type = "page.candidate_adopted"

    page_id: UUID
    against_version: int = Field(ge=0)
    actor: str
    candidate: ArtifactRef = Field(description="the machine result adopted from")
    candidate_version: int = Field(ge=1, description="the stream version that recorded it")
    lines: list[StorableText] | None = Field(
        default=None, description="the candidate's line ids adopted; none: the whole candidate"
    )
    reason: StorableText = ""
    base: ArtifactRef | None = Field(default=None, description="the transcription replaced")
    analysis: ArtifactRef = Field(description="the resulting PageAnalysis")


TranscriptionFormat = Literal["page", "alto"]


class PageTranscriptionImportRequested(Event):
    type = "page.transcription_import_requested"

    page_id: UUID
    against_version: int = Field(ge=0)
    actor: str
    source: ArtifactRef = Field(description="the uploaded file, byte for byte")
    source_format: TranscriptionFormat
    filename: StorableText | None = None
    reason: StorableText = ""


class PageTranscriptionImported(Event):
    type = "page.transcription_imported"

    page_id: UUID
    request_id: UUID = Field(description="the event id of the import request")
    against_version: int = Field(ge=0)
    actor: str
    source_format: TranscriptionFormat
    source_schema: str = Field(description="the file's namespace, e.g. ALTO v4 or PAGE 2019")
    source: ArtifactRef
    filename: StorableText | None = None
    analysis: ArtifactRef = Field(description="the resulting PageAnalysis")
    notes: list[str] = Field(
        default_factory=list, description="what was adjusted: scaling, clamped boxes…"
    )


class PageTranscriptionImportFailed(Event):
    type = "page.transcription_import_failed"

    page_id: UUID
    request_id: UUID
    code: str
    reason: str
