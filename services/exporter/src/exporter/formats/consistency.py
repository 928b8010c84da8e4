"""An analysis reshaped so that layout validators accept it, losing no word.

Engines and ground truth alike leave words outside their lines, lines outside their regions,
polygons that cross themselves, and boxes past the image's edge; OCR-D's validator rejects
each. The rule, applied once here for every layout format: every outline is clamped to the
image, a polygon that is not simple becomes its convex hull, a box gets at least one pixel
each way, and a **parent grows** (to the convex hull of itself and its children) until it
holds them — children and their coordinates are never moved or dropped.
"""

from __future__ import annotations

from typing import TypeVar

from contracts import Box, Line, PageAnalysis, Point, Region, Word
from exporter.domain.geometry import box_corners, clamp_points, convex_hull
from exporter.domain.spacing import spaced_gaps
from exporter.formats.shapes import contains, is_simple

Element = TypeVar("Element", Region, Line, Word)


def consistent_geometry(analysis: PageAnalysis) -> PageAnalysis:
    size = (analysis.image.width, analysis.image.height)
    regions = {region.id: _region(region, size) for region in analysis.regions}
    for region_id in _deepest_first(analysis.regions):
        region = regions[region_id]
        parent_id = region.parent_id
        if parent_id is not None and parent_id in regions and parent_id != region_id:
            parent = regions[parent_id]
            grown = _grown(_outline(parent), [_outline(region)], size)
            regions[parent_id] = _reshaped(parent, grown)
    return analysis.model_copy(update={"regions": [regions[r.id] for r in analysis.regions]})


def words_as_written(analysis: PageAnalysis) -> PageAnalysis:
    """Words the line's text does not separate become one word, so that a line's text is its
    words joined by spaces (PAGE's rule); a line whose words do not spell it takes their text."""
    regions = [
        region.model_copy(update={"lines": [_line_as_written(line) for line in region.lines]})
        for region in analysis.regions
    ]
    return analysis.model_copy(update={"regions": regions})


def _line_as_written(line: Line) -> Line:
    text = " ".join(line.text.split("\n")).strip()
    if not line.words:
        return line.model_copy(update={"text": text})
    merged: list[Word] = [line.words[0]]
    for word, spaced in zip(line.words[1:], spaced_gaps(line), strict=True):
        if spaced:
            merged.append(word)
        else:
            merged[-1] = _joined(merged[-1], word)
    spelled = " ".join(word.text for word in merged)
    return line.model_copy(update={"text": text if spelled == text else spelled, "words": merged})


def _joined(first: Word, second: Word) -> Word:
    points = _outline(first) + _outline(second)
    confidences = [c for c in (first.confidence, second.confidence) if c is not None]
    return first.model_copy(
        update={
            "text": first.text + second.text,
            "bbox": Box.around(points),
            "polygon": None,
            "confidence": min(confidences) if confidences else None,
        }
    )


def _region(region: Region, size: tuple[int, int]) -> Region:
    lines = [_line(line, size) for line in region.lines]
    own = _valid(_outline(region), size)
    grown = _grown(own, [_outline(line) for line in lines], size)
    return _reshaped(region, grown).model_copy(update={"lines": lines})


def _line(line: Line, size: tuple[int, int]) -> Line:
    words = [_reshaped(word, _valid(_outline(word), size)) for word in line.words]
    baseline = clamp_points(line.baseline, *size) if line.baseline else line.baseline
    outline = _valid(_outline(line), size)
    if baseline and len(baseline) >= 2 and not contains(outline, baseline, polyline=True):
        outline = _valid(convex_hull([*outline, *baseline]), size)
    grown = _grown(outline, [_outline(word) for word in words], size)
    return _reshaped(line, grown).model_copy(update={"words": words, "baseline": baseline})


def _outline(element: Region | Line | Word) -> list[Point]:
    polygon = element.polygon
    return list(polygon) if polygon and len(polygon) >= 3 else box_corners(element.bbox)


def _valid(points: list[Point], size: tuple[int, int]) -> list[Point]:
    """Inside the image, simple, at least four points and one pixel each way."""
    clamped = clamp_points(points, *size)
    if len(clamped) >= 4 and is_simple(clamped):
        return clamped
    hull = convex_hull(clamped)
    if len(hull) >= 4 and is_simple(hull):
        return hull
    return box_corners(_at_least_one_pixel(Box.around(clamped), size))


def _grown(outline: list[Point], children: list[list[Point]], size: tuple[int, int]) -> list[Point]:
    if all(contains(outline, child) for child in children):
        return outline
    points = [*outline, *(point for child in children for point in child)]
    return _valid(convex_hull(points), size)


def _reshaped(element: Element, outline: list[Point]) -> Element:
    box = Box.around(outline)
    polygon = None if outline == box_corners(box) and element.polygon is None else outline
    return element.model_copy(update={"bbox": box, "polygon": polygon})


def _at_least_one_pixel(box: Box, size: tuple[int, int]) -> Box:
    width, height = size
    x = min(box.x, max(0, width - 1))
    y = min(box.y, max(0, height - 1))
    return Box(
        x=x,
        y=y,
        width=max(1, min(box.right, width) - x),
        height=max(1, min(box.bottom, height) - y),
    )


def _deepest_first(regions: list[Region]) -> list[str]:
    """Region ids, children before their parents; a cycle of parents is cut where it closes."""
    by_id = {region.id: region for region in regions}

    def depth(region: Region) -> int:
        seen, parent, count = {region.id}, region.parent_id, 0
        while parent is not None and parent in by_id and parent not in seen:
            seen.add(parent)
            parent, count = by_id[parent].parent_id, count + 1
        return count

    return [r.id for r in sorted(regions, key=depth, reverse=True)]
