"""Polygon validity and containment as OCR-D's validator judges them: GEOS, through shapely.

shapely is imported at first use: with numpy it costs ~0.3 s of CPU, which the exporter's
start-up need not pay before its first page.
"""

from __future__ import annotations

from contracts import Point


def is_simple(polygon: list[Point]) -> bool:
    """A polygon with an area whose edges meet only at shared ends (GEOS' validity)."""
    if len(set(polygon)) < 3:
        return False
    from shapely.geometry import Polygon

    shape = Polygon(polygon)
    return bool(shape.is_valid) and shape.area > 0


def contains(outer: list[Point], inner: list[Point], *, polyline: bool = False) -> bool:
    """Whether no point of `inner` (a simple polygon, or a `polyline` such as a baseline) lies
    outside the simple polygon `outer`; touching its edge is inside."""
    from shapely.geometry import LineString, Polygon

    shape = LineString(inner) if polyline or len(set(inner)) < 3 else Polygon(inner)
    return bool(Polygon(outer).covers(shape))
