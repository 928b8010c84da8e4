from __future__ import annotations

from lxml import etree
from syrupy.assertion import SnapshotAssertion

from contracts import Box, PageAnalysis, Region, RegionType
from exporter.formats import xsd
from exporter.formats.page_reader import read_page
from exporter.formats.page_writer import PAGE_2019, write_page

NS = {"pc": PAGE_2019}


def test_page_matches_its_snapshot(analysis: PageAnalysis, snapshot: SnapshotAssertion) -> None:
    assert write_page(analysis).content.decode() == snapshot


def test_page_is_valid_and_byte_identical_on_re_export(analysis: PageAnalysis) -> None:
    first = write_page(analysis)
    xsd.validate(xsd.Schema.PAGE, first.content)
    assert write_page(analysis.model_copy(deep=True)).content == first.content
    # The line's text is written twice: in its TextLine and in its region's TextEquiv.
    assert first.dropped_characters == 2


def test_page_carries_regions_lines_words_order_and_metadata(analysis: PageAnalysis) -> None:
    root = etree.fromstring(write_page(analysis).content)
    assert root.findtext("pc:Metadata/pc:Created", namespaces=NS) == "2024-05-17T09:30:00+00:00"
    assert root.findtext("pc:Metadata/pc:Creator", namespaces=NS) == "tesseract 5.5.0"
    refs = [
        r.get("regionRef") for r in root.iterfind(".//pc:ReadingOrder//pc:RegionRefIndexed", NS)
    ]
    assert refs == ["title", "body", "miniature"]
    assert root.find(".//pc:TextRegion[@id='title']", NS).get("type") == "heading"
    assert root.find(".//pc:ImageRegion[@id='miniature']", NS) is not None
    line = root.find(".//pc:TextLine[@id='l1']", NS)
    assert line.find("pc:Baseline", NS).get("points") == "100,130 700,132"
    assert line.findtext("pc:TextEquiv/pc:Unicode", namespaces=NS) == "Livre d'heures"
    assert line.find("pc:TextEquiv", NS).get("conf") == "0.91"
    words = [
        w.findtext("pc:TextEquiv/pc:Unicode", namespaces=NS) for w in line.iterfind("pc:Word", NS)
    ]
    assert words == ["Livre", "d'heures"]


def test_page_reimports_to_the_same_page(analysis: PageAnalysis) -> None:
    again = read_page(write_page(analysis).content)
    assert [line.text for line in again.lines()] == ["Livre d'heures", "Cafe\u0301 au lait."]
    assert [w.bbox for w in again.words()] == [w.bbox for w in analysis.words()]
    assert [r.type for r in again.ordered_regions()] == [
        RegionType.HEADING,
        RegionType.TEXT,
        RegionType.ILLUSTRATION,
    ]
    assert again.lines()[1].language == "fr"
    assert again.lines()[0].confidence == 0.91


def test_nested_regions_nest_and_cycles_are_cut(analysis: PageAnalysis) -> None:
    box = Box(x=0, y=0, width=10, height=10)
    regions = [
        Region(id="table", type=RegionType.TABLE, bbox=box),
        Region(id="cell", type=RegionType.TEXT, bbox=box, parent_id="table"),
        Region(id="a", type=RegionType.OTHER, bbox=box, parent_id="b"),
        Region(id="b", type=RegionType.OTHER, bbox=box, parent_id="a"),
    ]
    document = write_page(analysis.model_copy(update={"regions": regions, "reading_order": []}))
    xsd.validate(xsd.Schema.PAGE, document.content)
    root = etree.fromstring(document.content)
    assert root.find("pc:Page/pc:TableRegion/pc:TextRegion[@id='cell']", NS) is not None
    assert len(root.findall("pc:Page/pc:UnknownRegion", NS)) == 2
    again = read_page(document.content)
    assert {r.id: r.parent_id for r in again.regions}["cell"] == "table"
