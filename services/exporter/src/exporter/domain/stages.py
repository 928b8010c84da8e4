"""Stage outputs (translation, normalization, commentary…) as exports: named, placed, motivated.

A stage's output is text about the whole page. It belongs to the page's regions when it can
be split among them: a page with one region that has text takes it whole, and an output of as
many blank-line-separated blocks as the page has regions with text gives block n to the n-th of
them in reading order (a prompt that keeps the transcription's paragraphs gets that). Otherwise
it belongs to the page as a whole. ADR 0024 records the convention each format follows.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

from contracts import PageAnalysis, Region, StageKind
from exporter.domain.formats import PageFormat

# OCR-D: of several TextEquivs, the preferred one has @index 1; stages follow in plan order.
TRANSCRIPTION_INDEX = 1
# The formats in which every stage output is a file of its own, beside the transcription's.
STAGE_FORMATS = (PageFormat.TEXT, PageFormat.ANNOTATIONS)
# W3C Web Annotation motivations: `supplementing` is IIIF's for text derived from the canvas
# (a translation or a normalization is, as the transcription is); Mirador shows only
# `commenting` unless configured (ADR 0019), so every stage has it too.
MOTIVATIONS: dict[StageKind, list[str]] = {
    "translation": ["supplementing", "commenting"],
    "normalization": ["supplementing", "commenting"],
    "summary": ["describing", "commenting"],
    "commentary": ["commenting"],
    "other": ["commenting"],
}
_BLANK_LINE = re.compile(r"\n[ \t]*\n")
_NOT_SLUG = re.compile(r"[^a-z0-9]+")
Scope = Literal["region", "page"]


@dataclass(frozen=True)
class StageText:
    """One stage output as the exports write it."""

    name: str
    slug: str
    """Its name in file names, URLs and METS groups: lowercase ASCII letters, digits and `-`."""
    kind: StageKind
    language: str | None
    text: str
    index: int
    """Its PAGE `TextEquiv/@index`."""
    blocks: dict[str, str] | None
    """Region id -> its part of the text, when the text splits among the regions."""

    @property
    def scope(self) -> Scope:
        return "page" if self.blocks is None else "region"

    @property
    def motivation(self) -> list[str]:
        return list(MOTIVATIONS[self.kind])

    @property
    def label(self) -> str:
        named = "" if self.slug == self.kind else f", {self.name}"
        language = f" ({self.language})" if self.language else ""
        return f"{self.kind.capitalize()}{named}{language}"

    def text_in(self, region_id: str) -> str:
        """Its text on that region: the region's block, or the whole text (page scope)."""
        return self.blocks[region_id] if self.blocks is not None else self.text.strip()

    def page_comments(self) -> str:
        """PAGE `TextEquiv/@comments`: space-separated `key:value` pairs, values without spaces."""
        parts = [f"stage:{self.slug}", f"kind:{self.kind}"]
        if self.language:
            parts.append(f"lang:{self.language}")
        return " ".join([*parts, f"scope:{self.scope}"])


def stage_texts(analysis: PageAnalysis) -> list[StageText]:
    """The analysis's stage outputs in plan order, each with a slug unique on the page."""
    regions = text_regions(analysis)
    used: set[str] = set()
    texts = []
    for number, stage in enumerate(analysis.stages):
        slug = _unique(stage_slug(stage.name), used)
        texts.append(
            StageText(
                name=stage.name,
                slug=slug,
                kind=stage.output_kind(),
                language=stage.language,
                text=stage.output,
                index=TRANSCRIPTION_INDEX + 1 + number,
                blocks=split_among(stage.output, regions),
            )
        )
    return texts


def by_region(analysis: PageAnalysis, texts: list[StageText]) -> dict[str, list[StageText]]:
    """Region id -> the stages with text there, in plan order; a stage that belongs to the
    page as a whole is placed on the first region with text (on none when there is none)."""
    regions = text_regions(analysis)
    placed: dict[str, list[StageText]] = {}
    for stage in texts:
        ids = list(stage.blocks) if stage.blocks is not None else [r.id for r in regions[:1]]
        for region_id in ids:
            placed.setdefault(region_id, []).append(stage)
    return placed


def stage_slug(name: str) -> str:
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return _NOT_SLUG.sub("-", folded.lower()).strip("-") or "stage"


def text_regions(analysis: PageAnalysis) -> list[Region]:
    """Regions with text, in reading order: the blocks of the transcription's plain text."""
    return [r for r in analysis.ordered_regions() if any(line.text.strip() for line in r.lines)]


def split_among(text: str, regions: list[Region]) -> dict[str, str] | None:
    if len(regions) == 1:
        return {regions[0].id: text.strip()}
    blocks = [block.strip() for block in _BLANK_LINE.split(text.strip()) if block.strip()]
    if not regions or len(blocks) != len(regions):
        return None
    return {region.id: block for region, block in zip(regions, blocks, strict=True)}


def _unique(slug: str, used: set[str]) -> str:
    unique, suffix = slug, 1
    while unique in used:
        suffix += 1
        unique = f"{slug}-{suffix}"
    used.add(unique)
    return unique
