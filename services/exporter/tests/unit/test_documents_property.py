"""Whatever an engine (and a plan's stages) produce, the ALTO and PAGE written from it are valid."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contracts import (
    Box,
    EngineInfo,
    Line,
    PageAnalysis,
    PageImage,
    Region,
    RegionType,
    StageOutput,
    Word,
)
from exporter.domain.xmltext import TextCleaner
from exporter.formats import xsd
from exporter.formats.alto_reader import read_alto
from exporter.formats.alto_writer import write_alto
from exporter.formats.page_reader import read_page
from exporter.formats.page_writer import write_page

any_text = st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=12)
coordinate = st.integers(min_value=0, max_value=20_000)
boxes = st.builds(Box, x=coordinate, y=coordinate, width=coordinate, height=coordinate)
points = st.lists(st.tuples(coordinate, coordinate), max_size=5)
confidence = st.none() | st.floats(min_value=0, max_value=1)
words = st.builds(
    Word, id=any_text, text=any_text, bbox=boxes, polygon=st.none() | points, confidence=confidence
)
lines = st.builds(
    Line,
    id=any_text,
    text=any_text,
    bbox=boxes,
    polygon=st.none() | points,
    baseline=st.none() | points,
    confidence=confidence,
    language=st.none() | any_text,
    words=st.lists(words, max_size=3),
)

stages = st.builds(
    StageOutput,
    name=any_text,
    output=any_text | st.lists(any_text, max_size=4).map("\n\n".join),
    engine=st.builds(EngineInfo, name=any_text),
    kind=st.none() | st.sampled_from(["translation", "commentary", "other"]),
    language=st.none() | st.sampled_from(["en", "de-CH", "la"]),
)


@st.composite
def analyses(draw: st.DrawFn) -> PageAnalysis:
    ids = draw(st.lists(any_text, max_size=4, unique=True))
    regions = [
        Region(
            id=region_id,
            type=draw(st.sampled_from(RegionType)),
            bbox=draw(boxes),
            polygon=draw(st.none() | points),
            parent_id=draw(st.none() | st.sampled_from(ids)),
            language=draw(st.none() | any_text),
            lines=draw(st.lists(lines, max_size=3)),
        )
        for region_id in ids
    ]
    return PageAnalysis(
        image=PageImage(
            width=draw(st.integers(1, 30_000)),
            height=draw(st.integers(1, 30_000)),
            uri=draw(st.none() | any_text),
        ),
        regions=regions,
        reading_order=draw(st.permutations(ids)),
        engine=EngineInfo(
            name=draw(any_text),
            version=draw(st.none() | any_text),
            parameters=draw(st.dictionaries(any_text, any_text, max_size=2)),
        ),
        created_at=datetime(2024, 1, 1, tzinfo=UTC),
        stages=draw(st.lists(stages, max_size=2)),
    )


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(analyses())
def test_any_analysis_gives_valid_alto_and_page(analysis: PageAnalysis) -> None:
    alto, page = write_alto(analysis), write_page(analysis)
    xsd.validate(xsd.Schema.ALTO, alto.content)
    xsd.validate(xsd.Schema.PAGE, page.content)

    # What survives is the text minus the characters XML 1.0 cannot carry, nothing else.
    clean = TextCleaner()
    expected_lines = [clean(line.text) for line in analysis.lines()]
    # PAGE nests child regions inside their parents, which may move them in document order.
    assert sorted(line.text for line in read_page(page.content).lines()) == sorted(expected_lines)
    # ALTO cannot tell a line's only word spanning the whole line from line-level text, so
    # such a word reads back as the line's text; judged line by line, since equal words may
    # stand in different lines.
    expected_words = [
        clean(word.text)
        for line in analysis.lines()
        if not (len(line.words) == 1 and line.words[0].bbox == line.bbox)
        for word in line.words
    ]
    assert [w.text for w in read_alto(alto.content).words()] == expected_words
