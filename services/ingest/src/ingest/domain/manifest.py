"""What ingest understands of a IIIF document, whatever its version: canvases, images, structure."""

from __future__ import annotations

from dataclasses import dataclass, field

from contracts import ArtifactRef, MetadataEntry, Range, SeeAlso, SkippedCanvas


@dataclass(frozen=True)
class ImageService:
    """A IIIF Image API service; `version` is 1, 2 or 3."""

    id: str
    version: int
    profile: str | None = None


@dataclass(frozen=True)
class CanvasImage:
    url: str | None
    width: int | None = None
    height: int | None = None
    media_type: str | None = None
    service: ImageService | None = None
    alternatives: tuple[str, ...] = ()
    upload: ArtifactRef | None = None
    upload_page: int | None = None  # a page of an uploaded PDF, from 1


@dataclass(frozen=True)
class Canvas:
    """One canvas; `image` is None when it paints no image, and `skip_reason` then says why."""

    id: str
    label: str | None
    width: int | None
    height: int | None
    image: CanvasImage | None = None
    skip_reason: str | None = None
    ppi: float | None = None  # of the canvas's coordinates, from a physdim service


@dataclass(frozen=True)
class Manifest:
    id: str
    iiif_version: int
    label: str | None
    canvases: tuple[Canvas, ...]
    viewing_direction: str | None = None
    metadata: tuple[MetadataEntry, ...] = ()
    rights: str | None = None
    required_statement: MetadataEntry | None = None
    provider: str | None = None
    see_also: tuple[SeeAlso, ...] = ()
    structure: tuple[Range, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def image_canvases(self) -> list[Canvas]:
        return [canvas for canvas in self.canvases if canvas.image is not None]

    @property
    def skipped(self) -> list[SkippedCanvas]:
        return [
            SkippedCanvas(canvas_id=c.id, label=c.label, reason=c.skip_reason or "no image")
            for c in self.canvases
            if c.image is None
        ]


@dataclass(frozen=True)
class CollectionMember:
    url: str
    kind: str  # "manifest" or "collection"
    label: str | None = None


@dataclass(frozen=True)
class Collection:
    """A IIIF collection; nested collections given inline are flattened into `members`."""

    id: str
    iiif_version: int
    label: str | None
    members: tuple[CollectionMember, ...]
    structure: tuple[Range, ...] = ()
    metadata: tuple[MetadataEntry, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)
