"""Apply a correction's operations to a `PageAnalysis`: pure, the same in every service.

Operations apply in order, each to the result of the ones before. One that does not fit
(an unknown line, a box off the page, a polygon that crosses itself, a control character)
is refused with a problem naming its index and target; the others are still checked, so an
editor sees every problem at once. Nothing is returned unless every operation applies.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from contracts.analysis import Box, Line, PageAnalysis, Region, Revision, Word
from contracts.edit_checks import EditLimits, geometry_problems, is_combining, text_problem
from contracts.editing_geometry import moved_line, outline_points, split_geometry
from contracts.errors import EditRejected
from contracts.geometry import convex_hull, union_box, without_repeats
from contracts.operations import (
    AddLine,
    AddRegion,
    DeleteLine,
    DeleteRegion,
    EditLineText,
    MergeLines,
    Operation,
    SetLineGeometry,
    SetReadingOrder,
    SetRegionGeometry,
    SetRegionType,
    SplitLine,
)
from contracts.region_types import REGION_TYPE_OF_ZONE


class _Refused(Exception):
    """One operation does not fit; the message says why, naming what it targets."""


def apply_operations(
    analysis: PageAnalysis, operations: Sequence[Operation], limits: EditLimits | None = None
) -> PageAnalysis:
    """The transcription with every operation applied, or `EditRejected` listing problems."""
    draft = _Draft(analysis, limits or EditLimits())
    problems = []
    for index, operation in enumerate(operations):
        try:
            _APPLY[type(operation)](draft, operation)
        except _Refused as refused:
            problems.append(f"operations[{index}] ({operation.op}): {refused}")
    if not operations:
        problems.append("a correction needs at least one operation")
    if problems:
        summary = problems[0] if len(problems) == 1 else f"{len(problems)} problems: {problems[0]}"
        raise EditRejected(summary, problems=problems)
    return analysis.model_copy(
        update={"regions": draft.regions, "reading_order": draft.reading_order}
    )


def with_revision(analysis: PageAnalysis, revision: Revision) -> PageAnalysis:
    return analysis.model_copy(update={"revisions": [*analysis.revisions, revision]})


class _Draft:
    """The page being edited: regions replaced whole (they are frozen) as lines change."""

    def __init__(self, analysis: PageAnalysis, limits: EditLimits) -> None:
        self.image, self.limits = analysis.image, limits
        self.regions: list[Region] = list(analysis.regions)
        self.reading_order: list[str] = list(analysis.reading_order)

    def region_index(self, region_id: str) -> int:
        for index, region in enumerate(self.regions):
            if region.id == region_id:
                return index
        raise _Refused(f"unknown region {region_id!r}")

    def line_index(self, line_id: str) -> tuple[int, int]:
        for r, region in enumerate(self.regions):
            for n, line in enumerate(region.lines):
                if line.id == line_id:
                    return r, n
        raise _Refused(f"unknown line {line_id!r}")

    def set_lines(self, region_index: int, lines: list[Line]) -> None:
        region = self.regions[region_index]
        self.regions[region_index] = region.model_copy(update={"lines": lines})

    def new_id(self, wanted: str | None, prefix: str, taken: set[str]) -> str:
        if wanted is not None:
            if wanted in taken:
                raise _Refused(f"the id {wanted!r} is already taken")
            return wanted
        number = 1
        while f"{prefix}{number}" in taken:
            number += 1
        return f"{prefix}{number}"

    def line_ids(self) -> set[str]:
        return {line.id for region in self.regions for line in region.lines}

    def check_text(self, text: str) -> None:
        if problem := text_problem(text, self.limits):
            raise _Refused(problem)

    def check_geometry(self, **outline: Any) -> None:
        if problems := geometry_problems(self.image, self.limits, **outline):
            raise _Refused("; ".join(problems))


def with_text(line: Line, text: str) -> Line:
    """The line with new text; a human's text has no machine confidence."""
    if text == line.text:
        return line
    return line.model_copy(
        update={"text": text, "words": words_for(line.words, text), "confidence": None}
    )


def words_for(words: Sequence[Word], text: str) -> list[Word]:
    """The words (boxes) kept where the text still splits into as many, else none: ALTO then
    writes the line as one string rather than boxes that no longer match the text."""
    tokens = text.split()
    if len(tokens) != len(words):
        return []
    return [
        w if w.text == t else w.model_copy(update={"text": t, "confidence": None})
        for w, t in zip(words, tokens, strict=True)
    ]


def _edit_line_text(draft: _Draft, op: EditLineText) -> None:
    r, n = draft.line_index(op.line_id)
    draft.check_text(op.text)
    lines = list(draft.regions[r].lines)
    lines[n] = with_text(lines[n], op.text)
    draft.set_lines(r, lines)


def _add_line(draft: _Draft, op: AddLine) -> None:
    r = draft.region_index(op.region_id)
    draft.check_text(op.text)
    if op.bbox is None and op.polygon is None:
        raise _Refused("a new line needs a bbox or a polygon")
    draft.check_geometry(bbox=op.bbox, polygon=op.polygon, baseline=op.baseline)
    line_id = draft.new_id(op.line_id, f"{op.region_id}_l", draft.line_ids())
    lines = list(draft.regions[r].lines)
    index = len(lines) if op.index is None else op.index
    if index > len(lines):
        raise _Refused(f"index {index} is past the {len(lines)} lines of {op.region_id!r}")
    bbox = op.bbox or Box.around(op.polygon or [])
    lines.insert(
        index, Line(id=line_id, text=op.text, bbox=bbox, polygon=op.polygon, baseline=op.baseline)
    )
    draft.set_lines(r, lines)


def _delete_line(draft: _Draft, op: DeleteLine) -> None:
    r, n = draft.line_index(op.line_id)
    draft.set_lines(r, [line for i, line in enumerate(draft.regions[r].lines) if i != n])


def _set_line_geometry(draft: _Draft, op: SetLineGeometry) -> None:
    r, n = draft.line_index(op.line_id)
    if op.bbox is None and op.polygon is None and op.baseline is None:
        raise _Refused("give a bbox, a polygon or a baseline")
    draft.check_geometry(bbox=op.bbox, polygon=op.polygon, baseline=op.baseline)
    lines = list(draft.regions[r].lines)
    lines[n] = moved_line(lines[n], draft.image, op.bbox, op.polygon, op.baseline)
    draft.set_lines(r, lines)


def _split_line(draft: _Draft, op: SplitLine) -> None:
    r, n = draft.line_index(op.line_id)
    line = draft.regions[r].lines[n]
    text = line.text
    if op.offset >= len(text):
        raise _Refused(f"offset {op.offset} is not inside the line's {len(text)} characters")
    if is_combining(text[op.offset]):
        raise _Refused(f"offset {op.offset} falls inside a character (before a combining mark)")
    left_text, right_text = text[: op.offset].rstrip(), text[op.offset :].lstrip()
    if not left_text or not right_text:
        raise _Refused(f"splitting at offset {op.offset} leaves an empty line")
    if line.bbox.width < 2:
        raise _Refused(f"line {line.id!r} is too narrow to split")
    new_id = draft.new_id(op.new_line_id, f"{line.id}_", draft.line_ids())
    left, right = split_geometry(line, op.offset / len(text), draft.image)
    lines = list(draft.regions[r].lines)
    lines[n : n + 1] = [
        left.model_copy(
            update={
                "text": left_text,
                "words": words_for(left.words, left_text),
                "confidence": None,
            }
        ),
        right.model_copy(
            update={
                "id": new_id,
                "text": right_text,
                "words": words_for(right.words, right_text),
                "confidence": None,
            }
        ),
    ]
    draft.set_lines(r, lines)


def _merge_lines(draft: _Draft, op: MergeLines) -> None:
    if len(set(op.line_ids)) != len(op.line_ids):
        raise _Refused("a line is named twice")
    places = [draft.line_index(line_id) for line_id in op.line_ids]
    r, first = places[0]
    if any(region != r for region, _ in places):
        raise _Refused("the lines are not all in one region")
    if [n for _, n in places] != list(range(first, first + len(places))):
        raise _Refused("the lines do not follow each other in their region's order")
    draft.check_text(op.separator)
    lines = list(draft.regions[r].lines)
    merged = lines[first : first + len(places)]
    text = op.separator.join(line.text for line in merged)
    draft.check_text(text)
    outline = None
    if any(line.polygon for line in merged):
        corners = [p for line in merged for p in outline_points(line)]
        outline = convex_hull(corners)
    baselines = [line.baseline for line in merged]
    words = [word for line in merged for word in line.words]
    joined = merged[0].model_copy(
        update={
            "bbox": union_box([line.bbox for line in merged]),
            "polygon": outline if outline and len(outline) >= 3 else None,
            "baseline": without_repeats([p for b in baselines for p in b or []])
            if all(baselines)
            else None,
            "words": words_for(words, text),
            "text": text,
            "confidence": None,
        }
    )
    lines[first : first + len(places)] = [joined]
    draft.set_lines(r, lines)


def _add_region(draft: _Draft, op: AddRegion) -> None:
    if op.bbox is None and op.polygon is None:
        raise _Refused("a new region needs a bbox or a polygon")
    draft.check_geometry(bbox=op.bbox, polygon=op.polygon)
    region_id = draft.new_id(op.region_id, "region_", {r.id for r in draft.regions})
    order = draft.reading_order
    if op.reading_order_index is not None:
        if not order:
            order[:] = [region.id for region in draft.regions]
        if op.reading_order_index > len(order):
            raise _Refused(f"reading_order_index {op.reading_order_index} is past the end")
        order.insert(op.reading_order_index, region_id)
    elif order:
        order.append(region_id)
    draft.regions.append(
        Region(
            id=region_id,
            type=REGION_TYPE_OF_ZONE[op.zone],
            zone=op.zone,
            bbox=op.bbox or Box.around(op.polygon or []),
            polygon=op.polygon,
        )
    )


def _delete_region(draft: _Draft, op: DeleteRegion) -> None:
    gone = draft.regions.pop(draft.region_index(op.region_id))
    draft.regions = [
        r.model_copy(update={"parent_id": gone.parent_id}) if r.parent_id == gone.id else r
        for r in draft.regions
    ]
    draft.reading_order = [rid for rid in draft.reading_order if rid != gone.id]


def _set_region_geometry(draft: _Draft, op: SetRegionGeometry) -> None:
    r = draft.region_index(op.region_id)
    if op.bbox is None and op.polygon is None:
        raise _Refused("give a bbox or a polygon")
    draft.check_geometry(bbox=op.bbox, polygon=op.polygon)
    region = draft.regions[r]
    moved = moved_line(
        Line(id=region.id, text="", bbox=region.bbox, polygon=region.polygon),
        draft.image,
        op.bbox,
        op.polygon,
        None,
    )
    draft.regions[r] = region.model_copy(update={"bbox": moved.bbox, "polygon": moved.polygon})


def _set_region_type(draft: _Draft, op: SetRegionType) -> None:
    r = draft.region_index(op.region_id)
    update = {"zone": op.zone, "type": REGION_TYPE_OF_ZONE[op.zone]}
    draft.regions[r] = draft.regions[r].model_copy(update=update)


def _set_reading_order(draft: _Draft, op: SetReadingOrder) -> None:
    known = {region.id for region in draft.regions}
    if unknown := [rid for rid in op.region_ids if rid not in known]:
        raise _Refused(f"unknown regions {unknown}")
    if len(set(op.region_ids)) != len(op.region_ids):
        raise _Refused("a region is named twice")
    draft.reading_order = list(op.region_ids)


_APPLY: dict[type[Any], Callable[[_Draft, Any], None]] = {
    EditLineText: _edit_line_text,
    AddLine: _add_line,
    DeleteLine: _delete_line,
    SetLineGeometry: _set_line_geometry,
    SplitLine: _split_line,
    MergeLines: _merge_lines,
    AddRegion: _add_region,
    DeleteRegion: _delete_region,
    SetRegionGeometry: _set_region_geometry,
    SetRegionType: _set_region_type,
    SetReadingOrder: _set_reading_order,
}
