from __future__ import annotations

from lxml import etree
from syrupy.assertion import SnapshotAssertion

from contracts import PageAnalysis
from exporter.formats import xsd
from exporter.formats.alto_reader import read_alto
from exporter.formats.alto_writer import ALTO, write_alto

NS = {"a": ALTO}


def test_alto_matches_its_snapshot(analysis: PageAnalysis, snapshot: SnapshotAssertion) -> None:
    assert write_alto(analysis, page_number=3).content.decode() == snapshot


def test_alto_is_valid_and_byte_identical_on_re_export(analysis: PageAnalysis) -> None:
    first = write_alto(analysis)
    xsd.validate(xsd.Schema.ALTO, first.content)
    assert write_alto(analysis.model_copy(deep=True)).content == first.content


def test_alto_describes_processing_from_the_analysis(analysis: PageAnalysis) -> None:
    root = etree.fromstring(write_alto(analysis).content)
    assert root.get("SCHEMAVERSION") == "4.4"
    assert root.findtext(".//a:MeasurementUnit", namespaces=NS) == "pixel"
    assert root.findtext(".//a:sourceImageInformation/a:fileName", namespaces=NS) == "folio-1r.jpg"
    processing = root.find(".//a:Description/a:Processing", NS)
    assert processing.findtext("a:processingDateTime", namespaces=NS) == "2024-05-17T09:30:00+00:00"
    assert processing.findtext(".//a:softwareName", namespaces=NS) == "tesseract"
    assert processing.findtext(".//a:softwareVersion", namespaces=NS) == "5.5.0"
    assert '"psm": 3' in processing.findtext("a:processingStepSettings", namespaces=NS)


def test_alto_layout_follows_the_reading_order(analysis: PageAnalysis) -> None:
    root = etree.fromstring(write_alto(analysis).content)
    page = root.find(".//a:Layout/a:Page", NS)
    assert (page.get("WIDTH"), page.get("HEIGHT")) == ("2000", "3000")
    blocks = [etree.QName(b).localname for b in root.find(".//a:PrintSpace", NS)]
    assert blocks == ["TextBlock", "TextBlock", "Illustration"]
    refs = [e.get("REF") for e in root.iterfind(".//a:ReadingOrder//a:ElementRef", NS)]
    assert refs == ["title", "body", "miniature"]
    strings = root.findall(".//a:TextBlock[@ID='title']//a:String", NS)
    assert [(s.get("CONTENT"), s.get("WC")) for s in strings] == [
        ("Livre", "0.95"),
        ("d'heures", "0.87"),
    ]
    assert root.find(".//a:TextBlock[@ID='title']//a:SP", NS) is not None
    line = root.find(".//a:TextLine[@ID='l2']", NS)
    assert line.get("BASELINE") == "100,340 900,342"
    assert line.get("LANG") == "fr"
    assert line.find("a:Shape/a:Polygon", NS).get("POINTS") == "100,300 900,300 900,350 100,350"


def test_characters_xml_cannot_carry_are_dropped_and_counted(analysis: PageAnalysis) -> None:
    document = write_alto(analysis)
    assert document.dropped_characters == 1
    body = read_alto(document.content).lines()[1]
    assert body.text == "Cafe\u0301 au lait."


def test_alto_reimports_to_the_same_page(analysis: PageAnalysis) -> None:
    again = read_alto(write_alto(analysis).content)
    assert [r.id for r in again.ordered_regions()] == ["title", "body", "miniature"]
    assert [r.type for r in again.regions] == [r.type for r in analysis.ordered_regions()]
    assert [w.bbox for w in again.words()] == [w.bbox for w in analysis.words()]
    assert [line.baseline for line in again.lines()] == [line.baseline for line in analysis.lines()]
    assert again.created_at == analysis.created_at
    assert again.engine.name == "tesseract"
