"""The manuscript aggregate: one IIIF manifest, image list or upload batch, imported as pages."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import Field, HttpUrl

from contracts.base import Command, Contract, Event
from contracts.upcasting import upcaster
from contracts.values import ArtifactRef, MetadataEntry


class IiifSource(Contract):
    kind: Literal["iiif"] = "iiif"
    url: HttpUrl
    watch_interval_seconds: int | None = Field(
        default=None,
        ge=1,
        description="re-read the manifest this often and register new canvases; none: never "
        "(the gateway asks for at least 60 s, ingest's scheduler enforces its own minimum)",
    )


class ImageUrl(Contract):
    url: HttpUrl
    label: str | None = None


class ImageListSource(Contract):
    kind: Literal["images"] = "images"
    images: list[ImageUrl] = Field(min_length=1)
    label: str | None = None


class UploadedImage(Contract):
    artifact: ArtifactRef
    filename: str
    label: str | None = None


class UploadSource(Contract):
    kind: Literal["uploads"] = "uploads"
    files: list[UploadedImage] = Field(min_length=1)
    label: str | None = None


ImportSource = Annotated[IiifSource | ImageListSource | UploadSource, Field(discriminator="kind")]


class RequestImport(Command):
    corpus_id: UUID
    source: ImportSource


class Range(Contract):
    """A IIIF range (table of contents entry): canvases by id, nested ranges kept."""

    id: str
    label: str | None = None
    canvases: list[str] = Field(default_factory=list)
    ranges: list[Range] = Field(default_factory=list)


class SkippedCanvas(Contract):
    canvas_id: str
    label: str | None = None
    reason: str


class ManuscriptImportRequested(Event):
    type = "manuscript.import_requested"

    manuscript_id: UUID
    corpus_id: UUID
    job_id: UUID
    source: ImportSource


class SeeAlso(Contract):
    """A machine-readable description of the manuscript elsewhere (IIIF `seeAlso`): a MARC or
    MODS record, a catalogue entry."""

    id: str
    type: str | None = None
    format: str | None = None
    profile: str | None = None
    label: str | None = None


class ManuscriptImported(Event):
    type = "manuscript.imported"
    schema_version = 2

    manuscript_id: UUID
    corpus_id: UUID
    label: str | None = None
    manifest_id: str | None = None
    iiif_version: int | None = None
    page_count: int = Field(ge=0)
    viewing_direction: str | None = None
    metadata: list[MetadataEntry] = Field(default_factory=list)
    rights: str | None = None
    required_statement: MetadataEntry | None = None
    provider: str | None = None
    see_also: list[SeeAlso] = Field(default_factory=list)
    structure: list[Range] = Field(default_factory=list)
    skipped: list[SkippedCanvas] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    members: list[str] = Field(
        default_factory=list, description="for a collection: member manifest/collection URLs"
    )


@upcaster("manuscript.imported", 1)
def upcast_manuscript_imported_v1_v2(data: dict[str, Any]) -> dict[str, Any]:
    """Version 1 did not keep the source's `seeAlso` links."""
    return {**data, "see_also": []}


class ManuscriptImportFailed(Event):
    type = "manuscript.import_failed"

    manuscript_id: UUID
    code: str
    reason: str
    retryable: bool = False


class ManuscriptExported(Event):
    type = "manuscript.exported"

    manuscript_id: UUID
    formats: dict[str, ArtifactRef] = Field(default_factory=dict)
    pages_exported: int = Field(ge=0)
    pages_failed: int = Field(ge=0)
