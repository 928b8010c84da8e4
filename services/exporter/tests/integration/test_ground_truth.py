"""Every ground-truth page in the corpora: import, export ALTO and PAGE, validate, re-import."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from contracts import PageAnalysis
from exporter.formats import xsd
from exporter.formats.alto_reader import read_alto
from exporter.formats.alto_writer import write_alto
from exporter.formats.page_reader import read_page
from exporter.formats.page_writer import write_page

# Which file is which format, as corpora/SOURCES.md lists them.
GROUND_TRUTH = {
    "cremma-bnf_arsenal_3516-imageDuMonde-btv1b55000507q_f327/btv1b55000507q_f327.xml": "alto",
    "cremma-bnf_fr_1728-btv1b84473026_f25/btv1b84473026_f25.xml": "alto",
    "cremma-vaticane_reg_lat_1616-otinel-reg-lat-1616_114v/reg-lat-1616_114v.xml": "alto",
    "dta-bebel_frau_1879_0146/GT-PAGE/bebel_frau_1879_0146.xml": "page",
    "dta-clauren_mimil_1815_0023/GT-PAGE/clauren_mimil_1815_0023.xml": "page",
    "dta-herder_geschichte03_1787_0007/GT-PAGE/herder_geschichte03_1787_0007.xml": "page",
    "dta-hilbert_zahlkoerper_1897_0370/GT-PAGE/hilbert_zahlkoerper_1897_0370.xml": "page",
    "dta-laube_europa0202_1837_0105/GT-PAGE/laube_europa0202_1837_0105.xml": "page",
    "kraken-transkribus-170025120000003_0074/170025120000003,0074.xml": "page",
    "ocrd-kant_aufklaerung_1784/OCR-D-GT-ALTO/PAGE_0017_ALTO.xml": "alto",
    "ocrd-kant_aufklaerung_1784/OCR-D-GT-ALTO/PAGE_0020_ALTO.xml": "alto",
    "ocrd-kant_aufklaerung_1784/OCR-D-GT-PAGE/PAGE_0017_PAGE.xml": "page",
    "ocrd-kant_aufklaerung_1784/OCR-D-GT-PAGE/PAGE_0020_PAGE.xml": "page",
}


def _import(path: Path, kind: str) -> PageAnalysis:
    return read_alto(path.read_bytes()) if kind == "alto" else read_page(path.read_bytes())


def _shape(analysis: PageAnalysis) -> list[object]:
    """Words, lines, boxes and text, region by region in reading order."""
    return [
        (
            region.type,
            region.bbox,
            [
                (ln.text, ln.bbox, ln.baseline, [(w.text, w.bbox) for w in ln.words])
                for ln in region.lines
            ],
        )
        for region in analysis.ordered_regions()
    ]


@pytest.fixture(scope="module")
def official_schemas(corpora: Path) -> dict[str, etree.XMLSchema]:
    """The newest official revisions (ALTO 4.4, PAGE 2019 with MapRegion) from the corpora."""
    schemas = corpora / "schemas"
    return {
        "alto": etree.XMLSchema(etree.parse(str(schemas / "alto-4-4.xsd"))),
        "page": etree.XMLSchema(etree.parse(str(schemas / "pagecontent-2019-07-15.xsd"))),
    }


def test_the_list_covers_every_ground_truth_file(corpora: Path) -> None:
    found = {
        str(path.relative_to(corpora / "ocr-gt"))
        for path in (corpora / "ocr-gt").rglob("*.xml")
        if path.name != "mets.xml"
    }
    assert found == set(GROUND_TRUTH)


@pytest.mark.parametrize(("relative", "kind"), sorted(GROUND_TRUTH.items()))
def test_ground_truth_round_trips_through_alto_and_page(
    corpora: Path, official_schemas: dict[str, etree.XMLSchema], relative: str, kind: str
) -> None:
    source = _import(corpora / "ocr-gt" / relative, kind)
    assert source.regions, "every ground-truth page has regions"

    alto, page = write_alto(source).content, write_page(source).content
    xsd.validate(xsd.Schema.ALTO, alto)
    xsd.validate(xsd.Schema.PAGE, page)
    for name, content in (("alto", alto), ("page", page)):
        schema = official_schemas[name]
        assert schema.validate(etree.fromstring(content)), schema.error_log.last_error

    assert _shape(read_alto(alto)) == _shape(source)
    assert _shape(read_page(page)) == _shape(source)
    assert read_alto(alto).text() == source.text()
    assert write_alto(read_alto(alto)).content == alto


def test_word_level_ground_truth_keeps_its_words(corpora: Path) -> None:
    kant = corpora / "ocr-gt/ocrd-kant_aufklaerung_1784"
    from_page = read_page((kant / "OCR-D-GT-PAGE/PAGE_0017_PAGE.xml").read_bytes())
    from_alto = read_alto((kant / "OCR-D-GT-ALTO/PAGE_0017_ALTO.xml").read_bytes())
    assert len(from_page.words()) == len(from_alto.words()) == 161
    assert from_page.lines()[0].text == "Berliniſche Monatsſchrift."
    # The ALTO ground truth has no SP: one space between words, as ALTO v2 tools meant.
    assert from_alto.lines()[0].text == "Berliniſche Monatsſchrift ."
    round_tripped = read_alto(write_alto(from_page).content)
    assert [line.text for line in round_tripped.lines()] == [
        line.text for line in from_page.lines()
    ]


def test_page_2013_ground_truth_imports_with_its_reading_order(corpora: Path) -> None:
    path = corpora / "ocr-gt/kraken-transkribus-170025120000003_0074/170025120000003,0074.xml"
    analysis = read_page(path.read_bytes())
    assert (analysis.image.width, analysis.image.height) == (2743, 3965)
    assert len(analysis.lines()) == 44
    assert analysis.reading_order
