"""What search indexes of a page: its lines, their language's text search configuration, and
their boxes, in master pixels and on the IIIF canvas."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from contracts import Box, Line, PageAnalysis

# Tesseract-style codes (and their ISO 639 kin) to the PostgreSQL configurations the search
# migration creates as `recto_<name>`; Latin and anything unknown get `simple`.
_CONFIGS = {
    "deu": "german",
    "ger": "german",
    "de": "german",
    "frk": "german",
    "gmh": "german",
    "german": "german",
    "fra": "french",
    "fre": "french",
    "fr": "french",
    "frm": "french",
    "fro": "french",
    "french": "french",
    "eng": "english",
    "en": "english",
    "enm": "english",
    "english": "english",
}
CONFIGS = ("german", "french", "english", "simple")


def config_for(*codes: str | None) -> str:
    """The configuration of the first code that names a known language; `deu+frk` counts."""
    for code in codes:
        for part in (code or "").replace(",", "+").split("+"):
            found = _CONFIGS.get(part.strip().lower())
            if found:
                return found
    return "simple"


@dataclass(frozen=True)
class IndexedLine:
    line_no: int
    line_id: str
    region_id: str
    text: str
    language: str | None
    config: str
    box: Box


def printable(text: str) -> str:
    """The text without control characters: they have no place in a transcription."""
    return "".join(" " if unicodedata.category(c) == "Cc" else c for c in text).strip()


def indexed_lines(analysis: PageAnalysis) -> list[IndexedLine]:
    """Lines in reading order, numbered as the exported annotation page numbers them (from 1,
    counting empty lines), with the most specific language known: line, region, then page."""
    page_language = "+".join(analysis.languages) or None
    numbered = _numbered(analysis)
    result = []
    for number, region_id, region_language, line in numbered:
        text = printable(line.text)
        if not text:
            continue
        language = line.language or region_language or page_language
        result.append(
            IndexedLine(
                line_no=number,
                line_id=line.id,
                region_id=region_id,
                text=text,
                language=language,
                config=config_for(line.language, region_language, page_language),
                box=line.bbox,
            )
        )
    return result


def _numbered(analysis: PageAnalysis) -> Iterable[tuple[int, str, str | None, Line]]:
    number = 0
    for region in analysis.ordered_regions():
        for line in region.lines:
            number += 1
            yield number, region.id, region.language, line


def canvas_box(box: Box, image: tuple[int, int], canvas: tuple[int, int]) -> Box:
    """The box scaled from master pixels to the canvas, kept inside it with a positive extent."""
    (image_width, image_height), (width, height) = image, canvas
    sx, sy = width / image_width, height / image_height
    left, top = round(box.x * sx), round(box.y * sy)
    right, bottom = round(box.right * sx), round(box.bottom * sy)
    x, y = min(max(left, 0), width - 1), min(max(top, 0), height - 1)
    return Box(
        x=x,
        y=y,
        width=max(1, min(right, width) - x),
        height=max(1, min(bottom, height) - y),
    )
