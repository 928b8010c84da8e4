"""Scaling between the analyzed derivative and the master image, clamped to the page.

Engines see the derivative; `PageAnalysis` speaks in master pixels. Rounding can push a
coordinate one pixel past the edge, so every scaled value is clamped back inside the page.
"""

from __future__ import annotations

from dataclasses import dataclass

from contracts import Box, Point


@dataclass(frozen=True)
class Size:
    width: int
    height: int


@dataclass(frozen=True)
class Scaling:
    """Maps points of one image (`source`) onto another (`target`) of the same page."""

    source: Size
    target: Size

    @property
    def inverse(self) -> Scaling:
        return Scaling(source=self.target, target=self.source)

    def point(self, x: float, y: float) -> Point:
        sx = self.target.width / self.source.width
        sy = self.target.height / self.source.height
        return (
            _clamp(round(x * sx), self.target.width),
            _clamp(round(y * sy), self.target.height),
        )

    def points(self, points: list[Point] | None) -> list[Point] | None:
        if points is None:
            return None
        return [self.point(x, y) for x, y in points]

    def box(self, box: Box) -> Box:
        return self.corners(box.x, box.y, box.right, box.bottom)

    def corners(self, left: float, top: float, right: float, bottom: float) -> Box:
        """A box from two corners in source pixels, in any order, inside the target page."""
        x1, y1 = self.point(min(left, right), min(top, bottom))
        x2, y2 = self.point(max(left, right), max(top, bottom))
        return Box(x=x1, y=y1, width=x2 - x1, height=y2 - y1)


def _clamp(value: int, limit: int) -> int:
    return min(max(value, 0), limit)
