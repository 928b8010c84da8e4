from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, Polygon

from contracts import Box, EngineInfo, Line, PageAnalysis, PageImage, Point, Region, Word
from exporter.domain.geometry import outline
from exporter.formats.consistency import consistent_geometry, words_as_written

coordinates = st.integers(min_value=0, max_value=1200)
boxes = st.builds(Box, x=coordinates, y=coordinates, width=coordinates, height=coordinates)
polygons = st.none() | st.lists(st.tuples(coordinates, coordinates), min_size=0, max_size=8)
texts = st.text(alphabet="ab .", max_size=6)
words = st.builds(Word, id=st.just("w"), text=texts, bbox=boxes, polygon=polygons)
lines = st.builds(
    Line,
    id=st.just("l"),
    text=texts,
    bbox=boxes,
    polygon=polygons,
    baseline=st.none() | st.lists(st.tuples(coordinates, coordinates), min_size=2, max_size=4),
    words=st.lists(words, max_size=4),
)


def page(regions: list[Region], width: int = 1000, height: int = 1000) -> PageAnalysis:
    return PageAnalysis(
        image=PageImage(width=width, height=height),
        regions=regions,
        engine=EngineInfo(name="test"),
        created_at=datetime(2024, 1, 1, tzinfo=UTC),
    )


def shape(points: list[Point]) -> Polygon:
    return Polygon(points)


def valid(points: list[Point], width: int, height: int) -> bool:
    polygon = shape(points)
    inside = all(0 <= x <= width and 0 <= y <= height for x, y in points)
    return len(points) >= 4 and polygon.is_valid and polygon.area > 0 and inside


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.builds(Region, id=st.just("r"), bbox=boxes, polygon=polygons, lines=st.lists(lines)),
        max_size=3,
    ),
    st.integers(1, 1000),
    st.integers(1, 1000),
)
def test_every_child_ends_inside_its_parent_and_nothing_is_lost(
    regions: list[Region], width: int, height: int
) -> None:
    regions = [r.model_copy(update={"id": f"r{n}"}) for n, r in enumerate(regions)]
    source = page(regions, width, height)
    fixed = consistent_geometry(words_as_written(source))
    assert len(fixed.regions) == len(source.regions)
    for before, region in zip(source.regions, fixed.regions, strict=True):
        region_outline = outline(region.polygon, region.bbox)
        assert valid(region_outline, width, height)
        assert len(region.lines) == len(before.lines)
        for line in region.lines:
            line_outline = outline(line.polygon, line.bbox)
            assert valid(line_outline, width, height)
            assert shape(region_outline).covers(shape(line_outline))
            if line.baseline and len(line.baseline) >= 2:
                assert shape(line_outline).covers(LineString(line.baseline))
            for word in line.words:
                word_outline = outline(word.polygon, word.bbox)
                assert valid(word_outline, width, height)
                assert shape(line_outline).covers(shape(word_outline))
            # PAGE's rule: a line's text is its words' text joined by single spaces.
            if line.words:
                assert line.text == " ".join(w.text for w in line.words)
    # Every character of every word is still there, in order.
    assert "".join(w.text for w in fixed.words()).replace(" ", "") == "".join(
        w.text for w in source.words()
    ).replace(" ", "")


def test_a_word_outside_its_line_grows_the_line_not_moves_the_word() -> None:
    word = Word(id="word_3", text="x", bbox=Box(x=1668, y=111, width=95, height=89))
    line = Line(id="l", text="x", bbox=Box(x=1274, y=118, width=481, height=57), words=[word])
    region = Region(id="r", bbox=Box(x=1274, y=118, width=481, height=57), lines=[line])
    fixed = consistent_geometry(page([region], 3000, 3000))
    (fixed_line,) = fixed.lines()
    assert fixed_line.words[0].bbox == word.bbox
    assert fixed_line.bbox == Box(x=1274, y=111, width=489, height=89)


def test_a_self_intersecting_polygon_becomes_its_hull() -> None:
    bowtie = [(0, 0), (100, 100), (100, 0), (0, 100)]
    region = Region(id="r", type="illustration", bbox=Box(x=0, y=0, width=100, height=100))
    fixed = consistent_geometry(page([region.model_copy(update={"polygon": bowtie})]))
    assert sorted(fixed.regions[0].polygon or []) == [(0, 0), (0, 100), (100, 0), (100, 100)]


def test_words_the_text_does_not_separate_are_written_as_one() -> None:
    words = [
        Word(id="a", text="Monatsſchrift", bbox=Box(x=0, y=0, width=50, height=10)),
        Word(id="b", text=".", bbox=Box(x=51, y=0, width=3, height=10), confidence=0.4),
    ]
    line = Line(id="l", text="Monatsſchrift.", bbox=Box(x=0, y=0, width=60, height=10), words=words)
    written = words_as_written(page([Region(id="r", bbox=line.bbox, lines=[line])]))
    (only,) = written.words()
    assert (only.text, only.bbox, only.confidence) == (
        "Monatsſchrift.",
        Box(x=0, y=0, width=54, height=10),
        0.4,
    )
