"""Adopt some lines of a candidate into the current transcription (pure).

A candidate line that pairs with a current line (see `line_diff`) replaces it and keeps the
current id, so later corrections and diffs still name it; a line the current text lacks
joins the region of the same id, or the region that holds its centre, at its height.
"""

from __future__ import annotations

from collections.abc import Sequence

from contracts import Line, PageAnalysis, Region
from contracts.errors import EditRejected
from gateway.domain.line_diff import pair_lines


def adopt_lines(
    current: PageAnalysis, candidate: PageAnalysis, line_ids: Sequence[str]
) -> PageAnalysis:
    offered = {line.id: (region, line) for region in candidate.regions for line in region.lines}
    if problems := [f"the candidate has no line {i!r}" for i in line_ids if i not in offered]:
        raise EditRejected(problems[0], problems=problems)
    counterpart = {
        pair.after.id: pair.before for pair in pair_lines(current, candidate) if pair.after
    }
    lines = {region.id: list(region.lines) for region in current.regions}
    taken = {line.id for line in current.lines()}
    problems = []
    for line_id in dict.fromkeys(line_ids):
        region, line = offered[line_id]
        before = counterpart.get(line_id)
        if before is not None:
            _replace(lines, before.id, line.model_copy(update={"id": before.id}))
            continue
        home = _home(current.regions, region, line)
        if home is None:
            problems.append(f"no region of the current transcription holds line {line_id!r}")
            continue
        new_id = _free_id(line.id, taken)
        taken.add(new_id)
        siblings = lines[home]
        at = next((n for n, other in enumerate(siblings) if other.bbox.y > line.bbox.y), None)
        siblings.insert(len(siblings) if at is None else at, line.model_copy(update={"id": new_id}))
    if problems:
        raise EditRejected(problems[0], problems=problems)
    regions = [region.model_copy(update={"lines": lines[region.id]}) for region in current.regions]
    return current.model_copy(update={"regions": regions})


def _replace(lines: dict[str, list[Line]], line_id: str, new: Line) -> None:
    for siblings in lines.values():
        for index, line in enumerate(siblings):
            if line.id == line_id:
                siblings[index] = new
                return


def _home(regions: Sequence[Region], origin: Region, line: Line) -> str | None:
    if any(region.id == origin.id for region in regions):
        return origin.id
    cx, cy = line.bbox.x + line.bbox.width / 2, line.bbox.y + line.bbox.height / 2
    for region in regions:
        box = region.bbox
        if box.x <= cx <= box.right and box.y <= cy <= box.bottom:
            return region.id
    return None


def _free_id(wanted: str, taken: set[str]) -> str:
    if wanted not in taken:
        return wanted
    number = 2
    while f"{wanted}_{number}" in taken:
        number += 1
    return f"{wanted}_{number}"
