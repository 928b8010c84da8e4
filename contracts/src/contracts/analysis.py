"""`PageAnalysis`: the canonical result of analyzing one page, whatever the engine.

All geometry is in the master image's pixels (origin top left, x right, y down); engines that
analyze a derivative scale their coordinates once, in the analyzer, before building this.
Exporters read only this model, never engine output.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar, Literal

from pydantic import Field, model_validator

from contracts.base import Contract
from contracts.plan import LANGUAGE_TAG, StageKind, stage_kind
from contracts.region_types import RegionType, SegmOntoZone

Point = tuple[int, int]


class Box(Contract):
    x: int = Field(ge=0)
    y: int = Field(ge=0)
    width: int = Field(ge=0)
    height: int = Field(ge=0)

    @property
    def right(self) -> int:
        return self.x + self.width

    @property
    def bottom(self) -> int:
        return self.y + self.height

    @classmethod
    def around(cls, points: list[Point]) -> Box:
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        return cls(x=min(xs), y=min(ys), width=max(xs) - min(xs), height=max(ys) - min(ys))


Confidence = float


class Word(Contract):
    id: str
    text: str
    bbox: Box
    polygon: list[Point] | None = None
    confidence: Confidence | None = Field(default=None, ge=0, le=1)


class Line(Contract):
    id: str
    text: str
    bbox: Box
    polygon: list[Point] | None = None
    baseline: list[Point] | None = None
    confidence: Confidence | None = Field(default=None, ge=0, le=1)
    language: str | None = None
    words: list[Word] = Field(default_factory=list)


class Region(Contract):
    id: str
    type: RegionType = RegionType.TEXT
    bbox: Box
    polygon: list[Point] | None = None
    parent_id: str | None = None
    confidence: Confidence | None = Field(default=None, ge=0, le=1)
    language: str | None = None
    lines: list[Line] = Field(default_factory=list)
    zone: SegmOntoZone | None = Field(
        default=None, description="the SegmOnto zone an editor or an imported file gave it"
    )


class EngineInfo(Contract):
    name: str
    version: str | None = None
    model: str | None = None
    parameters: dict[str, Any] = Field(default_factory=dict)
    prompt_hash: str | None = None


class StageOutput(Contract):
    """A further stage's text: a translation, a normalization, a commentary… of the page."""

    name: str
    output: str
    engine: EngineInfo
    kind: StageKind | None = Field(default=None, description="default: as the name says")
    language: str | None = Field(
        default=None, pattern=LANGUAGE_TAG, description="BCP 47 tag of the output"
    )

    def output_kind(self) -> StageKind:
        return stage_kind(self.name, self.kind)


RevisionKind = Literal["correction", "adoption", "import"]


class Revision(Contract):
    """One human step that shaped this transcription (exporters write it as provenance)."""

    kind: RevisionKind
    actor: str
    at: datetime
    version: int = Field(ge=1, description="the page stream version that recorded it")
    reason: str = ""
    summary: str = ""


class PageImage(Contract):
    width: int = Field(gt=0, description="master image width in pixels")
    height: int = Field(gt=0, description="master image height in pixels")
    sha256: str | None = None
    uri: str | None = Field(default=None, description="where the master image came from")


class PageAnalysis(Contract):
    schema_version: ClassVar[int] = 3
    media_type: ClassVar[str] = "application/vnd.recto.page-analysis+json"

    page_id: str | None = None
    image: PageImage
    regions: list[Region] = Field(default_factory=list)
    reading_order: list[str] = Field(
        default_factory=list, description="region ids in reading order; empty: document order"
    )
    languages: list[str] = Field(default_factory=list)
    engine: EngineInfo
    created_at: datetime
    duration_ms: float | None = Field(default=None, ge=0)
    stages: list[StageOutput] = Field(default_factory=list)
    scores: dict[str, float] = Field(default_factory=dict)
    revisions: list[Revision] = Field(
        default_factory=list, description="human corrections, adoptions and imports, oldest first"
    )

    @model_validator(mode="after")
    def _reading_order_names_regions(self) -> PageAnalysis:
        ids = {region.id for region in self.regions}
        unknown = [rid for rid in self.reading_order if rid not in ids]
        if unknown:
            raise ValueError(f"reading_order names unknown regions: {unknown}")
        return self

    def ordered_regions(self) -> list[Region]:
        if not self.reading_order:
            return list(self.regions)
        by_id = {region.id: region for region in self.regions}
        ordered = [by_id[rid] for rid in self.reading_order]
        rest = [r for r in self.regions if r.id not in set(self.reading_order)]
        return ordered + rest

    def lines(self) -> list[Line]:
        return [line for region in self.ordered_regions() for line in region.lines]

    def words(self) -> list[Word]:
        return [word for line in self.lines() for word in line.words]

    def text(self) -> str:
        """Plain text: lines in reading order, a blank line between regions."""
        blocks = ["\n".join(line.text for line in r.lines) for r in self.ordered_regions()]
        return "\n\n".join(block for block in blocks if block)

    def mean_confidence(self) -> float | None:
        confidences = [w.confidence for w in self.words() if w.confidence is not None]
        if not confidences:
            confidences = [ln.confidence for ln in self.lines() if ln.confidence is not None]
        return sum(confidences) / len(confidences) if confidences else None
