"""An imported transcription fitted to the page it becomes a version of.

Files from other tools describe the image they were made on, often a derivative of another
size: geometry is scaled to the master's pixels, boxes that overshoot the page are clamped,
outlines that no longer outline anything are dropped (their boxes stay), and control
characters, which a line cannot hold, become spaces. Every adjustment is noted.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

from contracts import Box, Line, PageAnalysis, PageImage, Point, Region, Word
from contracts.geometry import area, polygon_problem, without_repeats

CROSSING_CHECK_POINTS = 2000
"""Outlines with more points are only checked for area: the crossing check is quadratic."""


@dataclass
class Fitting:
    width: int
    height: int
    sx: float
    sy: float
    clamped: int = 0
    dropped_outlines: int = 0
    cleaned_characters: int = 0
    notes: list[str] = field(default_factory=list)

    def point(self, point: Point) -> Point:
        x, y = round(point[0] * self.sx), round(point[1] * self.sy)
        inside = (min(max(x, 0), self.width), min(max(y, 0), self.height))
        self.clamped += inside != (x, y)
        return inside

    def box(self, box: Box) -> Box:
        x1, y1 = self.point((box.x, box.y))
        x2, y2 = self.point((box.right, box.bottom))
        return Box(x=x1, y=y1, width=x2 - x1, height=y2 - y1)

    def outline(self, points: list[Point] | None) -> list[Point] | None:
        if not points:
            return None
        fitted = [self.point(p) for p in points]
        if len(fitted) > CROSSING_CHECK_POINTS:
            unfit = len(without_repeats(fitted)) < 3 or area(fitted) == 0
        else:
            unfit = polygon_problem(fitted, self.width, self.height) is not None
        if unfit:
            self.dropped_outlines += 1
            return None
        return fitted

    def text(self, text: str) -> str:
        cleaned = "".join(" " if unicodedata.category(c) == "Cc" else c for c in text)
        self.cleaned_characters += sum(a != b for a, b in zip(cleaned, text, strict=True))
        return cleaned.strip() if cleaned != text else text


def fit_to_page(analysis: PageAnalysis, width: int, height: int) -> tuple[PageAnalysis, list[str]]:
    source = analysis.image
    fitting = Fitting(width, height, width / source.width, height / source.height)
    regions = [_region(region, fitting) for region in analysis.regions]
    notes = []
    if (source.width, source.height) != (width, height):
        notes.append(f"scaled from {source.width}×{source.height} to the page's {width}×{height}")
    if fitting.clamped:
        notes.append(f"{fitting.clamped} points clamped to the page")
    if fitting.dropped_outlines:
        notes.append(f"{fitting.dropped_outlines} outlines dropped (folded by scaling)")
    if fitting.cleaned_characters:
        notes.append(f"{fitting.cleaned_characters} control characters replaced by spaces")
    image = PageImage(width=width, height=height, sha256=source.sha256, uri=source.uri)
    return analysis.model_copy(update={"image": image, "regions": regions}), notes


def _region(region: Region, fitting: Fitting) -> Region:
    return region.model_copy(
        update={
            "bbox": fitting.box(region.bbox),
            "polygon": fitting.outline(region.polygon),
            "lines": [_line(line, fitting) for line in region.lines],
        }
    )


def _line(line: Line, fitting: Fitting) -> Line:
    baseline = [fitting.point(p) for p in line.baseline] if line.baseline else None
    return line.model_copy(
        update={
            "text": fitting.text(line.text),
            "bbox": fitting.box(line.bbox),
            "polygon": fitting.outline(line.polygon),
            "baseline": baseline,
            "words": [_word(word, fitting) for word in line.words],
        }
    )


def _word(word: Word, fitting: Fitting) -> Word:
    return word.model_copy(
        update={
            "text": fitting.text(word.text),
            "bbox": fitting.box(word.bbox),
            "polygon": fitting.outline(word.polygon),
        }
    )
