"""Walk Tesseract's result iterator into regions → lines → words, scaled to the master."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import tesserocr
from tesserocr import PT, RIL

from analyzer.domain.geometry import Scaling
from contracts import Line, Region, RegionType, Word

_BLOCK_TYPES = {
    PT.HEADING_TEXT: RegionType.HEADING,
    PT.CAPTION_TEXT: RegionType.CAPTION,
    PT.TABLE: RegionType.TABLE,
    PT.FLOWING_IMAGE: RegionType.ILLUSTRATION,
    PT.HEADING_IMAGE: RegionType.ILLUSTRATION,
    PT.PULLOUT_IMAGE: RegionType.ILLUSTRATION,
    PT.HORZ_LINE: RegionType.GRAPHIC,
    PT.VERT_LINE: RegionType.GRAPHIC,
    PT.NOISE: RegionType.OTHER,
}


@dataclass
class _LineDraft:
    id: str
    bbox: tuple[int, int, int, int]
    baseline: tuple[tuple[int, int], tuple[int, int]] | None
    confidence: float | None
    words: list[Word] = field(default_factory=list)


@dataclass
class _RegionDraft:
    id: str
    type: RegionType
    bbox: tuple[int, int, int, int]
    polygon: list[tuple[int, int]] | None
    lines: list[_LineDraft] = field(default_factory=list)


@dataclass
class Layout:
    regions: list[Region]


def read_layout(iterator: Any, scaling: Scaling) -> Layout:
    """Blocks and their paragraphs become regions (paragraph ids say their block)."""
    drafts: list[_RegionDraft] = []
    counters = {"block": 0, "paragraph": 0, "line": 0, "word": 0}
    block_type, in_text_block = RegionType.TEXT, True
    for item in tesserocr.iterate_level(iterator, RIL.WORD):
        if item.IsAtBeginningOf(RIL.BLOCK):
            counters["block"] += 1
            counters["paragraph"] = 0
            block_type = _BLOCK_TYPES.get(item.BlockType(), RegionType.TEXT)
            in_text_block = block_type.is_text or block_type == RegionType.TABLE
            if not in_text_block:
                # A non-text block is iterated as one blank "word": keep its outline only.
                box = item.BoundingBox(RIL.BLOCK)
                if box:
                    block_id = f"block_{counters['block']}"
                    drafts.append(_RegionDraft(block_id, block_type, box, _polygon(item)))
        if not in_text_block:
            continue
        if item.IsAtBeginningOf(RIL.PARA) or counters["paragraph"] == 0:
            counters["paragraph"] += 1
            region_id = f"block_{counters['block']}_par_{counters['paragraph']}"
            box = item.BoundingBox(RIL.PARA) or (0, 0, 0, 0)
            drafts.append(_RegionDraft(region_id, block_type, box, None))
        region = drafts[-1]
        if item.IsAtBeginningOf(RIL.TEXTLINE) or not region.lines:
            counters["line"] += 1
            region.lines.append(
                _LineDraft(
                    f"line_{counters['line']}",
                    item.BoundingBox(RIL.TEXTLINE) or (0, 0, 0, 0),
                    item.Baseline(RIL.TEXTLINE),
                    _confidence(item.Confidence(RIL.TEXTLINE)),
                )
            )
        text = _word_text(item)
        box = item.BoundingBox(RIL.WORD)
        if text and box:
            counters["word"] += 1
            word = Word(
                id=f"word_{counters['word']}",
                text=text,
                bbox=scaling.corners(*box),
                confidence=_confidence(item.Confidence(RIL.WORD)),
            )
            region.lines[-1].words.append(word)
    return Layout(regions=[_region(draft, scaling) for draft in drafts if _keep(draft)])


def _keep(draft: _RegionDraft) -> bool:
    has_words = any(line.words for line in draft.lines)
    return has_words or not (draft.type.is_text or draft.type == RegionType.TABLE)


def _region(draft: _RegionDraft, scaling: Scaling) -> Region:
    lines = [
        Line(
            id=line.id,
            text=" ".join(word.text for word in line.words),
            bbox=scaling.corners(*line.bbox),
            baseline=scaling.points(list(line.baseline)) if line.baseline else None,
            confidence=line.confidence,
            words=line.words,
        )
        for line in draft.lines
        if line.words
    ]
    return Region(
        id=draft.id,
        type=draft.type,
        bbox=scaling.corners(*draft.bbox),
        polygon=scaling.points(draft.polygon),
        lines=lines,
    )


def _word_text(item: Any) -> str:
    """The word's text; a page Tesseract found nothing on yields one empty, textless word."""
    try:
        return (item.GetUTF8Text(RIL.WORD) or "").strip()
    except RuntimeError:  # tesserocr: "No text returned"
        return ""


def _polygon(item: Any) -> list[tuple[int, int]] | None:
    points = item.BlockPolygon()
    return [(int(x), int(y)) for x, y in points] if points and len(points) >= 3 else None


def _confidence(value: float) -> float | None:
    return None if value < 0 else min(value / 100.0, 1.0)
