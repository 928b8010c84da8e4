"""Which line of one transcription is which line of another, for diffs and adoptions.

Lines pair by id first (corrections keep ids), then, for what is left, by how much their
boxes overlap: two engines name lines differently but find them in the same places.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from contracts import Box, Line, PageAnalysis

MIN_OVERLAP = 0.5
Change = Literal["changed", "moved", "added", "deleted", "unchanged"]


@dataclass(frozen=True)
class LinePair:
    change: Change
    before: Line | None
    after: Line | None


def pair_lines(before: PageAnalysis, after: PageAnalysis) -> list[LinePair]:
    """Every line of both, in the reading order of `after`, deleted lines last."""
    old, new = before.lines(), after.lines()
    old_by_id = {line.id: line for line in old}
    matched: dict[str, Line] = {}
    for line in new:
        if line.id in old_by_id:
            matched[line.id] = old_by_id[line.id]
    used = {line.id for line in matched.values()}
    loose_old = [line for line in old if line.id not in used]
    loose_new = [line for line in new if line.id not in matched]
    overlaps = sorted(
        (
            (overlap(a.bbox, b.bbox), index_b, index_a)
            for index_b, b in enumerate(loose_new)
            for index_a, a in enumerate(loose_old)
        ),
        reverse=True,
    )
    taken_old: set[int] = set()
    for score, index_b, index_a in overlaps:
        if score < MIN_OVERLAP:
            break
        if loose_new[index_b].id in matched or index_a in taken_old:
            continue
        matched[loose_new[index_b].id] = loose_old[index_a]
        taken_old.add(index_a)
    used = {line.id for line in matched.values()}
    pairs = [_pair(matched.get(line.id), line) for line in new]
    pairs += [LinePair("deleted", line, None) for line in old if line.id not in used]
    return pairs


def _pair(before: Line | None, after: Line) -> LinePair:
    if before is None:
        return LinePair("added", None, after)
    if before.text != after.text:
        return LinePair("changed", before, after)
    if (before.bbox, before.polygon, before.baseline) != (
        after.bbox,
        after.polygon,
        after.baseline,
    ):
        return LinePair("moved", before, after)
    return LinePair("unchanged", before, after)


def overlap(a: Box, b: Box) -> float:
    """Intersection over union of two boxes (0 when either has no area)."""
    width = min(a.right, b.right) - max(a.x, b.x)
    height = min(a.bottom, b.bottom) - max(a.y, b.y)
    if width <= 0 or height <= 0:
        return 0.0
    shared = width * height
    union = a.width * a.height + b.width * b.height - shared
    return shared / union if union else 0.0
