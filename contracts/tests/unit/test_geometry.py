import math

from hypothesis import assume, given
from hypothesis import strategies as st

from contracts import Box, Line, PageImage
from contracts.editing_geometry import moved_line, split_geometry
from contracts.geometry import (
    area,
    clip_polygon,
    convex_hull,
    polygon_problem,
    segments_intersect,
    self_intersects,
)

PAGE = PageImage(width=2000, height=3000)
coordinate = st.integers(min_value=0, max_value=1000)
point = st.tuples(coordinate, coordinate)


@st.composite
def star_polygons(draw: st.DrawFn) -> list[tuple[int, int]]:
    """Simple polygons: points at strictly increasing angles around a centre (star-shaped).

    Each angle keeps within a fifth of a step of its regular place, so neighbours stay apart
    and no gap reaches half a turn: the outline is simple by construction, nothing filtered.
    """
    count = draw(st.integers(min_value=3, max_value=24))
    step = 2 * math.pi / count
    jitters = draw(st.lists(st.floats(-0.2, 0.2), min_size=count, max_size=count))
    radii = draw(
        st.lists(st.integers(min_value=200, max_value=400), min_size=count, max_size=count)
    )
    angles = [(i + jitter) * step for i, jitter in enumerate(jitters)]
    return [
        (round(500 + r * math.cos(a)), round(500 + r * math.sin(a)))
        for a, r in zip(angles, radii, strict=True)
    ]


@given(star_polygons())
def test_convex_outlines_never_cross_themselves(polygon: list[tuple[int, int]]) -> None:
    hull = convex_hull(polygon)
    assume(len(hull) >= 3)
    assert not self_intersects(hull)
    assert polygon_problem(hull, 2000, 3000) is None


@given(st.integers(min_value=1, max_value=500), st.integers(min_value=1, max_value=500), point)
def test_a_bowtie_always_crosses_itself(width: int, height: int, corner: tuple[int, int]) -> None:
    x, y = corner
    bowtie = [(x, y), (x + width, y + height), (x + width, y), (x, y + height)]
    assert self_intersects(bowtie)
    assert polygon_problem(bowtie, 2000, 3000) == "the polygon crosses itself"


@given(point, point, point, point)
def test_segment_intersection_is_symmetric(a, b, c, d) -> None:  # type: ignore[no-untyped-def]
    assert segments_intersect(a, b, c, d) == segments_intersect(c, d, a, b)
    assert segments_intersect(a, b, c, d) == segments_intersect(b, a, d, c)


def test_a_spike_folding_back_on_its_edge_crosses_itself() -> None:
    assert self_intersects([(0, 0), (100, 0), (50, 0), (50, 50)])


def test_points_off_the_page_are_named() -> None:
    problem = polygon_problem([(0, 0), (2100, 0), (2100, 10)], 2000, 3000)
    assert problem == "polygon points lie outside the 2000×3000 page"


@given(
    st.integers(min_value=0, max_value=900),
    st.integers(min_value=0, max_value=900),
    st.integers(min_value=4, max_value=800),
    st.integers(min_value=2, max_value=200),
    st.floats(min_value=0.01, max_value=0.99),
)
def test_a_split_line_keeps_its_width_and_area(
    x: int, y: int, width: int, height: int, fraction: float
) -> None:
    box = Box(x=x, y=y, width=width, height=height)
    corners = [(x, y), (x + width, y), (x + width, y + height), (x, y + height)]
    line = Line(
        id="l",
        text="ab",
        bbox=box,
        polygon=corners,
        baseline=[(x, y + height), (x + width, y + height)],
    )
    left, right = split_geometry(line, fraction, PAGE)
    assert left.bbox.x == x
    assert left.bbox.right == right.bbox.x
    assert right.bbox.right == box.right
    assert left.bbox.width >= 1
    assert right.bbox.width >= 1
    # The halves' outlines tile the original rectangle exactly.
    assert left.polygon is not None
    assert right.polygon is not None
    assert area(left.polygon) + area(right.polygon) == area(corners)
    assert left.baseline is not None
    assert right.baseline is not None
    assert left.baseline[-1] == right.baseline[0]


@given(
    st.integers(min_value=0, max_value=500),
    st.integers(min_value=0, max_value=500),
    st.integers(min_value=1, max_value=900),
    st.integers(min_value=1, max_value=900),
)
def test_a_moved_line_carries_its_outline_inside_its_new_box(
    x: int, y: int, width: int, height: int
) -> None:
    old = Box(x=100, y=100, width=400, height=50)
    line = Line(
        id="l",
        text="",
        bbox=old,
        polygon=[(100, 100), (500, 100), (500, 150), (300, 145), (100, 150)],
        baseline=[(100, 140), (500, 140)],
    )
    new = Box(x=x, y=y, width=width, height=height)
    moved = moved_line(line, PAGE, new, None, None)
    assert moved.bbox == new
    for px, py in [*(moved.polygon or []), *(moved.baseline or [])]:
        assert new.x <= px <= new.right
        assert new.y <= py <= new.bottom


@given(st.lists(point, min_size=3, max_size=40))
def test_clipping_never_leaves_the_half_plane(points: list[tuple[int, int]]) -> None:
    hull = convex_hull(points)
    assume(len(hull) >= 3)
    for px, _ in clip_polygon(hull, 500, left=True):
        assert px <= 500
    for px, _ in clip_polygon(hull, 500, left=False):
        assert px >= 500
