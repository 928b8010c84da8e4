"""The operations of a correction: what an editor can do to a page's transcription.

A discriminated union on `op`; `page.corrected` carries a list of them, applied in order by
`contracts.editing.apply_operations`. Geometry is in the master image's pixels. New line and
region ids may be chosen by the editor; left out, they are derived from the neighbours.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from contracts.analysis import Box, Point
from contracts.base import Contract
from contracts.edit_checks import StorableText
from contracts.region_types import SegmOntoZone

Id = Annotated[StorableText, Field(min_length=1, max_length=200)]
Polygon = Annotated[list[Point], Field(min_length=3)]
Polyline = Annotated[list[Point], Field(min_length=2)]


class EditLineText(Contract):
    op: Literal["edit_line_text"] = "edit_line_text"
    line_id: Id
    text: str


class AddLine(Contract):
    """A new line in a region; at `index` among its lines, or last."""

    op: Literal["add_line"] = "add_line"
    region_id: Id
    line_id: Id | None = None
    index: int | None = Field(default=None, ge=0)
    text: str = ""
    bbox: Box | None = Field(default=None, description="derived from the polygon when left out")
    polygon: Polygon | None = None
    baseline: Polyline | None = None


class DeleteLine(Contract):
    op: Literal["delete_line"] = "delete_line"
    line_id: Id


class SetLineGeometry(Contract):
    """Move or resize a line. A new `bbox` alone carries the polygon, baseline and words with
    it; a new `polygon` also sets the box; a `baseline` given replaces the old one."""

    op: Literal["set_line_geometry"] = "set_line_geometry"
    line_id: Id
    bbox: Box | None = None
    polygon: Polygon | None = None
    baseline: Polyline | None = None


class SplitLine(Contract):
    """Split a line's text at a character offset; its geometry is split in proportion."""

    op: Literal["split_line"] = "split_line"
    line_id: Id
    offset: int = Field(gt=0, description="in characters (code points) of the line's text")
    new_line_id: Id | None = None


class MergeLines(Contract):
    """Join lines that follow each other in one region into the first of them."""

    op: Literal["merge_lines"] = "merge_lines"
    line_ids: list[Id] = Field(min_length=2)
    separator: StorableText = Field(default=" ", max_length=10)


class AddRegion(Contract):
    """A new region, at `reading_order_index` in the reading order, or last."""

    op: Literal["add_region"] = "add_region"
    region_id: Id | None = None
    zone: SegmOntoZone = SegmOntoZone.MAIN
    bbox: Box | None = None
    polygon: Polygon | None = None
    reading_order_index: int | None = Field(default=None, ge=0)


class DeleteRegion(Contract):
    """Delete a region with its lines; regions nested in it move up to its parent."""

    op: Literal["delete_region"] = "delete_region"
    region_id: Id


class SetRegionGeometry(Contract):
    op: Literal["set_region_geometry"] = "set_region_geometry"
    region_id: Id
    bbox: Box | None = None
    polygon: Polygon | None = None


class SetRegionType(Contract):
    op: Literal["set_region_type"] = "set_region_type"
    region_id: Id
    zone: SegmOntoZone


class SetReadingOrder(Contract):
    """Regions in reading order; regions left out follow in document order."""

    op: Literal["set_reading_order"] = "set_reading_order"
    region_ids: list[Id] = Field(min_length=1)


Operation = Annotated[
    EditLineText
    | AddLine
    | DeleteLine
    | SetLineGeometry
    | SplitLine
    | MergeLines
    | AddRegion
    | DeleteRegion
    | SetRegionGeometry
    | SetRegionType
    | SetReadingOrder,
    Field(discriminator="op"),
]
