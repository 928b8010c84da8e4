from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from contracts import Box, Line, Word
from exporter.domain.geometry import clamp_box, outline, parse_points, points_text, scale_box
from exporter.domain.spacing import join_words, spaced_gaps

coordinates = st.integers(min_value=0, max_value=100_000)
boxes = st.builds(Box, x=coordinates, y=coordinates, width=coordinates, height=coordinates)


def test_points_parse_in_both_styles_found_in_the_wild() -> None:
    assert parse_points("1,2 3,4") == [(1, 2), (3, 4)]
    assert parse_points("1 2 3 4") == [(1, 2), (3, 4)]
    assert parse_points("1.6,2.4 -3,4") == [(2, 2), (0, 4)]


@given(st.lists(st.tuples(coordinates, coordinates), max_size=30))
def test_points_text_round_trips(points: list[tuple[int, int]]) -> None:
    assert parse_points(points_text(points)) == points


def test_outline_falls_back_to_the_box_without_a_real_polygon() -> None:
    box = Box(x=1, y=2, width=3, height=4)
    assert outline(None, box) == [(1, 2), (4, 2), (4, 6), (1, 6)]
    assert outline([(0, 0), (5, 5)], box) == [(1, 2), (4, 2), (4, 6), (1, 6)]
    assert outline([(0, 0), (5, 0), (5, 5)], box) == [(0, 0), (5, 0), (5, 5)]


@given(boxes, st.floats(0.01, 10), st.floats(0.01, 10))
def test_scaling_keeps_the_box_edges_in_proportion(box: Box, sx: float, sy: float) -> None:
    scaled = scale_box(box, sx, sy)
    assert abs(scaled.x - box.x * sx) <= 0.5
    assert abs(scaled.right - box.right * sx) <= 0.5
    assert abs(scaled.bottom - box.bottom * sy) <= 0.5


@given(boxes, st.integers(1, 50_000), st.integers(1, 50_000))
def test_clamped_boxes_lie_inside_the_area(box: Box, width: int, height: int) -> None:
    clamped = clamp_box(box, width, height)
    assert clamped.right <= width
    assert clamped.bottom <= height


def test_spaces_follow_the_line_text_not_the_word_count() -> None:
    def word(text: str) -> Word:
        return Word(id=text, text=text, bbox=Box(x=0, y=0, width=1, height=1))

    line = Line(
        id="l",
        text="Frage: was?",
        bbox=Box(x=0, y=0, width=1, height=1),
        words=[word("Frage"), word(":"), word("was"), word("?")],
    )
    gaps = spaced_gaps(line)
    assert gaps == [False, True, False]
    assert join_words(["Frage", ":", "was", "?"], gaps) == "Frage: was?"
    unrelated = line.model_copy(update={"text": "something else"})
    assert spaced_gaps(unrelated) == [True, True, True]
