from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from contracts import (
    Box,
    EngineInfo,
    Line,
    Operation,
    PageAnalysis,
    PageImage,
    Region,
    RegionType,
    SegmOntoZone,
    Word,
)
from contracts.edit_checks import EditLimits
from contracts.editing import apply_operations
from contracts.errors import EditRejected

OPERATIONS = TypeAdapter(list[Operation])
TEXT = "In principio erat verbum"


def page() -> PageAnalysis:
    words = [
        Word(
            id=f"w{i}",
            text=t,
            bbox=Box(x=100 + i * 100, y=100, width=90, height=40),
            confidence=0.8,
        )
        for i, t in enumerate(TEXT.split())
    ]
    first = Line(
        id="l1",
        text=TEXT,
        bbox=Box(x=100, y=100, width=400, height=40),
        polygon=[(100, 100), (500, 100), (500, 140), (100, 140)],
        baseline=[(100, 135), (500, 135)],
        confidence=0.8,
        words=words,
    )
    second = Line(id="l2", text="et verbum erat", bbox=Box(x=100, y=150, width=300, height=40))
    third = Line(id="l3", text="apud Deum", bbox=Box(x=100, y=200, width=200, height=40))
    return PageAnalysis(
        image=PageImage(width=1000, height=1500),
        regions=[
            Region(
                id="r1", bbox=Box(x=90, y=90, width=500, height=200), lines=[first, second, third]
            ),
            Region(
                id="r2", type=RegionType.MARGINALIA, bbox=Box(x=700, y=90, width=200, height=100)
            ),
        ],
        reading_order=["r1", "r2"],
        engine=EngineInfo(name="tesseract"),
        created_at=datetime(2025, 1, 1, tzinfo=UTC),
    )


def apply(*operations: dict[str, Any], limits: EditLimits | None = None) -> PageAnalysis:
    return apply_operations(page(), OPERATIONS.validate_python(list(operations)), limits)


def rejected(*operations: dict[str, Any], limits: EditLimits | None = None) -> list[str]:
    with pytest.raises(EditRejected) as caught:
        apply(*operations, limits=limits)
    return caught.value.problems


def lines(analysis: PageAnalysis) -> dict[str, Line]:
    return {line.id: line for line in analysis.lines()}


def test_editing_text_keeps_word_boxes_when_the_words_still_match() -> None:
    edited = lines(
        apply({"op": "edit_line_text", "line_id": "l1", "text": "In principio erat Verbum"})
    )
    line = edited["l1"]
    assert line.text == "In principio erat Verbum"
    assert line.confidence is None
    assert [w.text for w in line.words] == ["In", "principio", "erat", "Verbum"]
    assert [w.confidence for w in line.words] == [0.8, 0.8, 0.8, None]


def test_editing_text_into_other_words_drops_the_boxes() -> None:
    line = lines(apply({"op": "edit_line_text", "line_id": "l1", "text": "Inprincipio erat"}))["l1"]
    assert line.words == []


def test_add_and_delete_lines() -> None:
    edited = apply(
        {
            "op": "add_line",
            "region_id": "r1",
            "index": 1,
            "text": "glossa",
            "bbox": {"x": 100, "y": 145, "width": 50, "height": 5},
        },
        {"op": "delete_line", "line_id": "l3"},
    )
    assert [line.id for line in edited.regions[0].lines] == ["l1", "r1_l1", "l2"]


def test_split_then_merge_restores_the_text() -> None:
    split = apply({"op": "split_line", "line_id": "l1", "offset": 12, "new_line_id": "l1b"})
    assert [(line.id, line.text) for line in split.regions[0].lines][:2] == [
        ("l1", "In principio"),
        ("l1b", "erat verbum"),
    ]
    left, right = split.regions[0].lines[:2]
    assert left.bbox.right == right.bbox.x == 300
    assert [w.text for w in right.words] == ["erat", "verbum"]
    merged = apply_operations(
        split, OPERATIONS.validate_python([{"op": "merge_lines", "line_ids": ["l1", "l1b"]}])
    )
    assert merged.regions[0].lines[0].text == TEXT
    assert merged.regions[0].lines[0].bbox == page().regions[0].lines[0].bbox


@given(st.integers(min_value=1, max_value=len(TEXT) - 1))
def test_a_split_anywhere_keeps_every_letter(offset: int) -> None:
    if TEXT[offset - 1 : offset + 1].strip() == "" or (TEXT[offset] == " " and offset == 0):
        return
    split = apply({"op": "split_line", "line_id": "l1", "offset": offset})
    left, right = split.regions[0].lines[:2]
    assert (left.text + right.text).replace(" ", "") == TEXT.replace(" ", "")


def test_a_split_may_not_separate_a_letter_from_its_accent() -> None:
    analysis = apply({"op": "edit_line_text", "line_id": "l2", "text": "cafe\u0301 noir"})
    with pytest.raises(EditRejected, match="inside a character"):
        apply_operations(
            analysis,
            OPERATIONS.validate_python([{"op": "split_line", "line_id": "l2", "offset": 4}]),
        )


def test_regions_added_typed_ordered_and_deleted() -> None:
    edited = apply(
        {
            "op": "add_region",
            "region_id": "r3",
            "zone": "NumberingZone",
            "bbox": {"x": 900, "y": 10, "width": 50, "height": 30},
            "reading_order_index": 0,
        },
        {"op": "set_region_type", "region_id": "r2", "zone": "QuireMarksZone"},
        {"op": "set_reading_order", "region_ids": ["r3", "r2", "r1"]},
        {"op": "delete_region", "region_id": "r2"},
    )
    assert edited.reading_order == ["r3", "r1"]
    added = next(r for r in edited.regions if r.id == "r3")
    assert (added.type, added.zone) == (RegionType.PAGE_NUMBER, SegmOntoZone.NUMBERING)


def test_every_problem_is_named_with_its_operation() -> None:
    problems = rejected(
        {"op": "edit_line_text", "line_id": "nope", "text": "x"},
        {"op": "delete_region", "region_id": "gone"},
        {
            "op": "set_line_geometry",
            "line_id": "l1",
            "bbox": {"x": 900, "y": 0, "width": 200, "height": 10},
        },
        {
            "op": "set_line_geometry",
            "line_id": "l1",
            "polygon": [[0, 0], [10, 10], [10, 0], [0, 10]],
        },
        {"op": "edit_line_text", "line_id": "l2", "text": "bell\u0007"},
        {"op": "edit_line_text", "line_id": "l2", "text": "half \ud800"},
        {"op": "merge_lines", "line_ids": ["l1", "l3"]},
        {"op": "set_reading_order", "region_ids": ["r1", "r9"]},
    )
    assert problems == [
        "operations[0] (edit_line_text): unknown line 'nope'",
        "operations[1] (delete_region): unknown region 'gone'",
        "operations[2] (set_line_geometry): the box 900,0 200×10 reaches outside the "
        "1000×1500 page",
        "operations[3] (set_line_geometry): the polygon crosses itself",
        "operations[4] (edit_line_text): control character U+0007 at offset 4",
        "operations[5] (edit_line_text): lone surrogate U+D800 (not valid UTF-8) at offset 5",
        "operations[6] (merge_lines): the lines do not follow each other in their region's order",
        "operations[7] (set_reading_order): unknown regions ['r9']",
    ]


def test_a_line_over_the_limit_is_refused() -> None:
    (problem,) = rejected(
        {"op": "edit_line_text", "line_id": "l1", "text": "x" * 101},
        limits=EditLimits(max_line_chars=100),
    )
    assert problem.endswith("the text has 101 characters, over the limit of 100")


def test_an_empty_correction_is_refused() -> None:
    assert rejected() == ["a correction needs at least one operation"]


def test_a_taken_id_is_refused() -> None:
    (problem,) = rejected(
        {
            "op": "add_line",
            "region_id": "r2",
            "line_id": "l1",
            "bbox": {"x": 700, "y": 90, "width": 10, "height": 10},
        }
    )
    assert problem == "operations[0] (add_line): the id 'l1' is already taken"


def test_an_unknown_operation_does_not_parse() -> None:
    with pytest.raises(ValidationError):
        OPERATIONS.validate_python([{"op": "rotate_page", "degrees": 90}])
