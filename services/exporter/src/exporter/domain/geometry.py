"""Geometry shared by every format: outlines, points strings, scaling to a canvas."""

from __future__ import annotations

from contracts import Box, Point


def box_corners(box: Box) -> list[Point]:
    return [(box.x, box.y), (box.right, box.y), (box.right, box.bottom), (box.x, box.bottom)]


def outline(polygon: list[Point] | None, box: Box) -> list[Point]:
    """The polygon when it has an area's worth of points, else the box's corners."""
    return list(polygon) if polygon and len(polygon) >= 3 else box_corners(box)


def points_text(points: list[Point], separator: str = ",") -> str:
    return " ".join(f"{x}{separator}{y}" for x, y in points)


def parse_points(text: str) -> list[Point]:
    """Points from `x,y x,y` or `x y x y` (both occur in ALTO and PAGE files), rounded."""
    numbers = [float(n) for n in text.replace(",", " ").split()]
    pairs = zip(numbers[0::2], numbers[1::2], strict=False)
    return [(max(0, round(x)), max(0, round(y))) for x, y in pairs]


def scale_box(box: Box, sx: float, sy: float) -> Box:
    """The box in another pixel space (e.g. a IIIF canvas of a different size)."""
    x, y = round(box.x * sx), round(box.y * sy)
    return Box(x=x, y=y, width=round(box.right * sx) - x, height=round(box.bottom * sy) - y)


def clamp_box(box: Box, width: int, height: int) -> Box:
    """The part of the box inside a `width`×`height` area (engines overshoot edges)."""
    x, y = min(box.x, width), min(box.y, height)
    right, bottom = min(box.right, width), min(box.bottom, height)
    return Box(x=x, y=y, width=right - x, height=bottom - y)


def union_box(boxes: list[Box]) -> Box:
    left, top = min(b.x for b in boxes), min(b.y for b in boxes)
    right, bottom = max(b.right for b in boxes), max(b.bottom for b in boxes)
    return Box(x=left, y=top, width=right - left, height=bottom - top)


def convex_hull(points: list[Point]) -> list[Point]:
    """The convex hull, counter-clockwise from the lowest-leftmost point (monotone chain)."""
    unique = sorted(set(points))
    if len(unique) <= 2:
        return unique

    def turn(o: Point, a: Point, b: Point) -> int:
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    lower: list[Point] = []
    for point in unique:
        while len(lower) >= 2 and turn(lower[-2], lower[-1], point) <= 0:
            lower.pop()
        lower.append(point)
    upper: list[Point] = []
    for point in reversed(unique):
        while len(upper) >= 2 and turn(upper[-2], upper[-1], point) <= 0:
            upper.pop()
        upper.append(point)
    return lower[:-1] + upper[:-1]


def clamp_points(points: list[Point], width: int, height: int) -> list[Point]:
    return [(min(max(x, 0), width), min(max(y, 0), height)) for x, y in points]
