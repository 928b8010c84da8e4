"""What the manuscript-level builders read: the manuscript and, per page, plain data."""

from __future__ import annotations

from dataclasses import dataclass

from contracts import ImageRef, ManuscriptImported, PageAnalysis, PageRegistered
from exporter.domain.formats import PageFormat, stage_key
from exporter.domain.urls import GatewayUrls


@dataclass(frozen=True)
class ManuscriptPage:
    """One page as the event store knows it; analysis is None until the page is analyzed."""

    registered: PageRegistered
    analysis: PageAnalysis | None = None
    master: ImageRef | None = None
    thumbnail: ImageRef | None = None
    formats: frozenset[str] | None = None
    """The formats its export recorded; None when every format goes with it (a bundle)."""

    def has_format(self, fmt: PageFormat) -> bool:
        return self.formats is None or fmt.value in self.formats

    def has_stage(self, fmt: PageFormat, slug: str) -> bool:
        """Whether its export recorded that stage's own file in `fmt`."""
        return self.formats is None or stage_key(fmt, slug) in self.formats

    @property
    def label(self) -> str:
        return self.registered.label or f"p. {self.registered.index + 1}"

    def image_size(self) -> tuple[int, int] | None:
        if self.analysis is not None:
            return self.analysis.image.width, self.analysis.image.height
        if self.master is not None:
            return self.master.width, self.master.height
        return None

    def canvas_size(self) -> tuple[int, int] | None:
        """The IIIF canvas keeps the source's size; else it is the image's pixel space."""
        registered = self.registered
        if registered.canvas_width and registered.canvas_height:
            return registered.canvas_width, registered.canvas_height
        return self.image_size()

    def canvas_id(self, urls: GatewayUrls) -> str:
        return self.registered.canvas_id or urls.canvas(self.registered.page_id)


@dataclass(frozen=True)
class Manuscript:
    imported: ManuscriptImported
    pages: list[ManuscriptPage]

    def ordered_pages(self) -> list[ManuscriptPage]:
        return sorted(self.pages, key=lambda page: page.registered.index)
