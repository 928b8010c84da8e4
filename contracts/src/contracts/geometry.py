"""Plane geometry on integer pixel points, for checking and applying edits (no I/O).

Points are `(x, y)` in the master image's pixels. Intersection tests use exact integer
orientation, so a polygon is judged the same on every machine.
"""

from __future__ import annotations

from collections.abc import Sequence

from contracts.analysis import Box, Point


def box_inside(box: Box, width: int, height: int) -> bool:
    return box.right <= width and box.bottom <= height


def points_inside(points: Sequence[Point], width: int, height: int) -> bool:
    return all(0 <= x <= width and 0 <= y <= height for x, y in points)


def area(polygon: Sequence[Point]) -> float:
    """The polygon's area (shoelace), whatever its orientation."""
    total = 0
    for (x1, y1), (x2, y2) in _edges(polygon):
        total += x1 * y2 - x2 * y1
    return abs(total) / 2


def self_intersects(polygon: Sequence[Point]) -> bool:
    """Whether any two edges cross or touch, other than neighbours at their shared vertex.

    Quadratic in the number of edges: callers bound the number of points first.
    """
    points = without_repeats(polygon)
    edges = list(_edges(points))
    # Each edge's bounding box, so most pairs are told apart by four comparisons.
    boxes = [(min(a[0], b[0]), max(a[0], b[0]), min(a[1], b[1]), max(a[1], b[1])) for a, b in edges]
    count = len(edges)
    for i in range(count):
        a, b = edges[i]
        left, right, top, bottom = boxes[i]
        for j in range(i + 1, count):
            c, d = edges[j]
            if j == i + 1 or (i == 0 and j == count - 1):
                # Neighbours share a vertex; they may only fold back onto each other.
                shared = b if j == i + 1 else a
                other_first, other_second = (a, d) if j == i + 1 else (b, c)
                if _orientation(other_first, shared, other_second) == 0 and _overlaps_back(
                    other_first, shared, other_second
                ):
                    return True
                continue
            other = boxes[j]
            if other[0] > right or other[1] < left or other[2] > bottom or other[3] < top:
                continue
            if segments_intersect(a, b, c, d):
                return True
    return False


def segments_intersect(a: Point, b: Point, c: Point, d: Point) -> bool:
    """Whether the closed segments ab and cd share at least one point."""
    o1, o2 = _orientation(a, b, c), _orientation(a, b, d)
    o3, o4 = _orientation(c, d, a), _orientation(c, d, b)
    if o1 != o2 and o3 != o4:
        return True
    return (
        (o1 == 0 and _on_segment(a, c, b))
        or (o2 == 0 and _on_segment(a, d, b))
        or (o3 == 0 and _on_segment(c, a, d))
        or (o4 == 0 and _on_segment(c, b, d))
    )


def _orientation(a: Point, b: Point, c: Point) -> int:
    cross = (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])
    return (cross > 0) - (cross < 0)


def _on_segment(a: Point, p: Point, b: Point) -> bool:
    """p lies within the bounding box of ab (callers know the three are collinear)."""
    return min(a[0], b[0]) <= p[0] <= max(a[0], b[0]) and min(a[1], b[1]) <= p[1] <= max(a[1], b[1])


def _overlaps_back(a: Point, shared: Point, b: Point) -> bool:
    """Collinear a-shared-b: the second edge turns back over the first (a spike)."""
    first = (a[0] - shared[0], a[1] - shared[1])
    second = (b[0] - shared[0], b[1] - shared[1])
    return first[0] * second[0] + first[1] * second[1] > 0


def without_repeats(polygon: Sequence[Point]) -> list[Point]:
    points = [p for i, p in enumerate(polygon) if i == 0 or p != polygon[i - 1]]
    while len(points) > 1 and points[0] == points[-1]:
        points.pop()
    return points


def _edges(polygon: Sequence[Point]) -> list[tuple[Point, Point]]:
    return [(polygon[i], polygon[(i + 1) % len(polygon)]) for i in range(len(polygon))]


def polygon_problem(polygon: Sequence[Point], width: int, height: int) -> str | None:
    """Why this polygon cannot outline anything on a `width`×`height` page, or None."""
    points = without_repeats(polygon)
    if len(points) < 3:
        return "a polygon needs at least 3 distinct points"
    if not points_inside(points, width, height):
        return f"polygon points lie outside the {width}×{height} page"
    if self_intersects(points):
        return "the polygon crosses itself"
    if area(points) == 0:
        return "the polygon has no area"
    return None


def map_points(points: Sequence[Point], source: Box, target: Box) -> list[Point]:
    """Points moved and stretched with their box, from `source` onto `target`."""
    sx = target.width / source.width if source.width else 1.0
    sy = target.height / source.height if source.height else 1.0
    return [
        (
            max(0, round(target.x + (x - source.x) * sx)),
            max(0, round(target.y + (y - source.y) * sy)),
        )
        for x, y in points
    ]


def map_box(box: Box, source: Box, target: Box) -> Box:
    corners = map_points([(box.x, box.y), (box.right, box.bottom)], source, target)
    return Box.around(corners)


def union_box(boxes: Sequence[Box]) -> Box:
    corners = [corner for box in boxes for corner in ((box.x, box.y), (box.right, box.bottom))]
    return Box.around(corners)


def clip_polygon(polygon: Sequence[Point], cut: float, *, left: bool) -> list[Point]:
    """The part of the polygon left (or right) of the vertical line x = cut (Sutherland–
    Hodgman: exact for convex outlines, a fair outline for the gently curved ones of lines)."""

    def inside(point: Point) -> bool:
        return point[0] <= cut if left else point[0] >= cut

    kept: list[Point] = []
    for current, following in _edges(polygon):
        if inside(current):
            kept.append(current)
        if inside(current) != inside(following):
            kept.append(_at_x(current, following, cut))
    return without_repeats(kept)


def clip_polyline(points: Sequence[Point], cut: float, *, left: bool) -> list[Point]:
    """The part of an open polyline (a baseline) left (or right) of x = cut."""

    def inside(point: Point) -> bool:
        return point[0] <= cut if left else point[0] >= cut

    kept: list[Point] = []
    for index, point in enumerate(points):
        if index and inside(point) != inside(points[index - 1]):
            kept.append(_at_x(points[index - 1], point, cut))
        if inside(point):
            kept.append(point)
    return without_repeats(kept) if len(kept) > 1 else kept


def _at_x(a: Point, b: Point, x: float) -> Point:
    t = (x - a[0]) / (b[0] - a[0])
    return round(x), round(a[1] + t * (b[1] - a[1]))


def convex_hull(points: Sequence[Point]) -> list[Point]:
    """Andrew's monotone chain: the smallest convex outline around the points."""
    unique = sorted(set(points))
    if len(unique) < 3:
        return unique

    def half(sequence: list[Point]) -> list[Point]:
        chain: list[Point] = []
        for point in sequence:
            while len(chain) >= 2 and _orientation(chain[-2], chain[-1], point) <= 0:
                chain.pop()
            chain.append(point)
        return chain

    lower, upper = half(unique), half(unique[::-1])
    return lower[:-1] + upper[:-1]
