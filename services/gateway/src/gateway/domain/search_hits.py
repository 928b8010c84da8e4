"""What a search asks for (filters) and what it finds (hits), as plain values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from contracts import Box
from gateway.domain.search_lines import canvas_box
from gateway.domain.search_query import Snippet


@dataclass(frozen=True)
class SearchFilters:
    visible: frozenset[UUID] | None = None
    """The corpora the caller may see; None: all."""
    corpus_id: UUID | None = None
    manuscript_id: UUID | None = None
    status: str | None = None
    recorded_from: datetime | None = None
    recorded_to: datetime | None = None


@dataclass(frozen=True)
class Hit:
    page_id: UUID
    line_no: int
    line_id: str
    region_id: str
    manuscript_id: UUID
    corpus_id: UUID
    text: str
    language: str | None
    score: float
    snippet: Snippet
    box: Box
    """In the master image's pixels."""
    image_size: tuple[int, int]
    canvas_size: tuple[int, int]
    canvas_id: str | None
    """The source's canvas id, when the page came from a IIIF manifest."""
    status: str | None
    recorded_at: datetime

    def canvas_box(self) -> Box:
        return canvas_box(self.box, self.image_size, self.canvas_size)


@dataclass(frozen=True)
class HitPage:
    hits: list[Hit]
    total: int
    exact: bool = True
    """False when the matches outnumber the ranking window: `total` is then a lower bound and
    the hits are ranked within the first `total` matches found."""
