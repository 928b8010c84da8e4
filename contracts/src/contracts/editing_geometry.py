"""How a line's outline, baseline and words follow when an editor moves, resizes or splits it."""

from __future__ import annotations

from collections.abc import Sequence

from contracts.analysis import Box, Line, PageImage, Point, Word
from contracts.geometry import clip_polygon, clip_polyline, map_box, map_points, polygon_problem


def outline_points(line: Line) -> list[Point]:
    """The line's polygon, or its box's corners."""
    if line.polygon:
        return list(line.polygon)
    box = line.bbox
    return [(box.x, box.y), (box.right, box.y), (box.right, box.bottom), (box.x, box.bottom)]


def moved_line(
    line: Line,
    image: PageImage,
    bbox: Box | None,
    polygon: Sequence[Point] | None,
    baseline: Sequence[Point] | None,
) -> Line:
    """The line with new geometry; what was not given is carried from the old box to the new."""
    old = line.bbox
    new_polygon: list[Point] | None
    if polygon is not None:
        new_box, new_polygon = bbox or Box.around(list(polygon)), list(polygon)
    elif bbox is not None:
        new_box, new_polygon = bbox, _valid(_mapped(line.polygon, old, bbox, image), image)
    else:
        new_box, new_polygon = old, line.polygon
    if baseline is not None:
        new_baseline: list[Point] | None = list(baseline)
    else:
        new_baseline = _mapped(line.baseline, old, new_box, image)
    words = (
        line.words if new_box == old else [_moved_word(w, old, new_box, image) for w in line.words]
    )
    return line.model_copy(
        update={"bbox": new_box, "polygon": new_polygon, "baseline": new_baseline, "words": words}
    )


def split_geometry(line: Line, fraction: float, image: PageImage) -> tuple[Line, Line]:
    """The line cut by a vertical at `fraction` of its width: two boxes, outlines clipped, the
    baseline cut, words on the side of their centre. Texts are the caller's to set."""
    box = line.bbox
    cut = min(max(box.x + round(box.width * fraction), box.x + 1), box.right - 1)
    halves = []
    for left in (True, False):
        x, right = (box.x, cut) if left else (cut, box.right)
        outline = clip_polygon(line.polygon, cut, left=left) if line.polygon else None
        baseline = clip_polyline(line.baseline, cut, left=left) if line.baseline else None
        words = [w for w in line.words if (w.bbox.x + w.bbox.width / 2 < cut) == left]
        halves.append(
            line.model_copy(
                update={
                    "bbox": Box(x=x, y=box.y, width=right - x, height=box.height),
                    "polygon": _valid(outline, image),
                    "baseline": baseline if baseline and len(baseline) >= 2 else None,
                    "words": words,
                }
            )
        )
    return halves[0], halves[1]


def _moved_word(word: Word, old: Box, new: Box, image: PageImage) -> Word:
    bbox = _clamped_box(map_box(word.bbox, old, new), image)
    polygon = _valid(_mapped(word.polygon, old, new, image), image)
    return word.model_copy(update={"bbox": bbox, "polygon": polygon})


def _mapped(
    points: Sequence[Point] | None, old: Box, new: Box, image: PageImage
) -> list[Point] | None:
    if not points:
        return None
    moved = points if old == new else map_points(points, old, new)
    return [(min(x, image.width), min(y, image.height)) for x, y in moved]


def _clamped_box(box: Box, image: PageImage) -> Box:
    x, y = min(box.x, image.width), min(box.y, image.height)
    return Box(
        x=x,
        y=y,
        width=min(box.right, image.width) - x,
        height=min(box.bottom, image.height) - y,
    )


def _valid(polygon: list[Point] | None, image: PageImage) -> list[Point] | None:
    """The polygon if it still outlines something on the page; rounding can fold a thin one."""
    if polygon is None or polygon_problem(polygon, image.width, image.height):
        return None
    return polygon
