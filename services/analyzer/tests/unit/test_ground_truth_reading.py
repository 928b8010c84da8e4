"""PAGE and ALTO read as OCR-D's dinglehopper reads them, on small files made here."""

from __future__ import annotations

from pathlib import Path

import pytest
from dinglehopper.ocr_files import extract

from analyzer.application.cer import normalize_text
from analyzer.formats.ground_truth import read_ground_truth

PAGE_NS = "http://schema.primaresearch.org/PAGE/gts/pagecontent/2019-07-15"


def region(id_: str, text: str | None, *lines: str, equivs: str = "") -> str:
    line_xml = "".join(
        f'<TextLine id="{id_}_l{i}"><TextEquiv><Unicode>{line}</Unicode></TextEquiv></TextLine>'
        for i, line in enumerate(lines)
    )
    own = f"<TextEquiv><Unicode>{text}</Unicode></TextEquiv>" if text is not None else ""
    return f'<TextRegion id="{id_}">{line_xml}{own}{equivs}</TextRegion>'


def page_file(folder: Path, order: str, regions: str) -> Path:
    (folder / "page.png").write_bytes(b"")
    xml = folder / "page.xml"
    xml.write_text(
        f'<PcGts xmlns="{PAGE_NS}"><Page imageFilename="page.png" imageWidth="10" '
        f'imageHeight="10">{order}{regions}<SeparatorRegion id="sep"/></Page></PcGts>',
        encoding="utf-8",
    )
    return xml


ORDERED = (
    '<ReadingOrder><OrderedGroup id="ro">'
    '<RegionRefIndexed index="2" regionRef="c"/>'
    '<RegionRefIndexed index="0" regionRef="a"/>'
    '<RegionRefIndexed regionRef="e"/>'  # no index: no place in an ordered group
    '<RegionRefIndexed index="1" regionRef="sep"/>'  # not a text region
    "</OrderedGroup></ReadingOrder>"
)
NESTED = (
    '<ReadingOrder><OrderedGroup id="ro">'
    '<UnorderedGroupIndexed index="1" id="u"><RegionRef regionRef="d"/>'
    '<RegionRef regionRef="b"/></UnorderedGroupIndexed>'
    '<RegionRefIndexed index="0" regionRef="c"/>'
    "</OrderedGroup></ReadingOrder>"
)
REGIONS = (
    region("a", "Erſter Abſatz\nzweite Zeile", "Erſter Abſatz", "zweite Zeile")
    + region("b", "Fußnote*)", "Fußnote*)")
    + region("c", "—  13  —", "— 13 —")
    + region("d", "", "")
    + region("e", "Marginalie", "Marginalie")
)


@pytest.mark.parametrize(
    ("order", "regions", "expected"),
    [
        # Regions outside the reading order (b, d, e) are not part of the text.
        (ORDERED, REGIONS, "Erſter Abſatz\nzweite Zeile\n—  13  —"),
        # Groups nest; an unordered group keeps its members as written; empty regions drop.
        (NESTED, REGIONS, "—  13  —\nFußnote*)"),
        # Without a reading order every text region counts, in document order.
        ("", REGIONS, "Erſter Abſatz\nzweite Zeile\nFußnote*)\n—  13  —\nMarginalie"),
        # Several TextEquivs: the lowest index wins, else the highest confidence.
        (
            "",
            region(
                "a",
                None,
                equivs='<TextEquiv index="2"><Unicode>zwei</Unicode></TextEquiv>'
                '<TextEquiv index="1"><Unicode>eins</Unicode></TextEquiv>',
            )
            + region(
                "b",
                None,
                equivs='<TextEquiv conf="0.2"><Unicode>schwach</Unicode></TextEquiv>'
                '<TextEquiv conf="0.9"><Unicode>stark</Unicode></TextEquiv>',
            ),
            "eins\nstark",
        ),
    ],
)
def test_page_text_is_what_dinglehopper_extracts(
    tmp_path: Path, order: str, regions: str, expected: str
) -> None:
    xml = page_file(tmp_path, order, regions)

    page = read_ground_truth(xml, tmp_path)

    assert page is not None
    assert (page.format, page.level) == ("page", "region")
    assert page.text == expected
    assert normalize_text(page.text) == extract(str(xml)).text


def test_a_page_with_text_only_on_its_lines_is_read_from_its_lines(tmp_path: Path) -> None:
    regions = region("a", None, "eins", "zwei") + region("b", None, "drei")
    xml = page_file(tmp_path, ORDERED.replace('"c"', '"b"'), regions)

    page = read_ground_truth(xml, tmp_path)

    assert page is not None
    assert (page.level, page.text) == ("line", "eins\nzwei\ndrei")
    assert page.text == extract(str(xml), textequiv_level="line").text


def test_alto_lines_in_file_order_with_their_strings_joined(tmp_path: Path) -> None:
    (tmp_path / "f1.jpg").write_bytes(b"")
    xml = tmp_path / "f1.xml"
    xml.write_text(
        '<alto xmlns="http://www.loc.gov/standards/alto/ns-v4#"><Description>'
        "<sourceImageInformation><fileName>f1.jpg</fileName></sourceImageInformation>"
        "</Description><Layout><Page><PrintSpace><TextBlock>"
        '<TextLine><String CONTENT="Qⁱ"/><SP/><String CONTENT="me"/></TextLine>'
        "<TextLine/>"
        '<TextLine><String CONTENT="metroit"/></TextLine>'
        "</TextBlock></PrintSpace></Page></Layout></alto>",
        encoding="utf-8",
    )

    page = read_ground_truth(xml, tmp_path)

    assert page is not None
    assert (page.format, page.text) == ("alto", "Qⁱ me\n\nmetroit")
    assert page.text == extract(str(xml)).text


def outlined(id_: str, text: str, points: str) -> str:
    """A region with an outline, its text on itself and on one line."""
    inner = region(id_, text, text).removeprefix(f'<TextRegion id="{id_}">')
    return f'<TextRegion id="{id_}"><Coords points="{points}"/>{inner}'


def test_region_boxes_are_those_of_the_text_read_in_its_order(tmp_path: Path) -> None:
    regions = (
        outlined("a", "oben", "10,10 90,10 90,30 10,30")
        + outlined("b", "Fußnote", "5,80 95,80 95,95 5,95")
        + outlined("c", "Seitenzahl", "40,1 60,1 55,8")
        + outlined("d", "", "0,0 1,1 0,1")
    )
    xml = page_file(tmp_path, ORDERED, regions)

    page = read_ground_truth(xml, tmp_path)

    assert page is not None
    # a then c, as the reading order has them; b (outside it) and d (empty) have no box.
    assert page.text == "oben\nSeitenzahl"
    assert page.regions == ((10, 10, 91, 31), (40, 1, 61, 9))


def test_alto_text_blocks_with_lines_give_the_boxes(tmp_path: Path) -> None:
    (tmp_path / "f1.jpg").write_bytes(b"")
    xml = tmp_path / "f1.xml"
    xml.write_text(
        '<alto xmlns="http://www.loc.gov/standards/alto/ns-v4#"><Description>'
        "<sourceImageInformation><fileName>f1.jpg</fileName></sourceImageInformation>"
        "</Description><Layout><Page><PrintSpace>"
        '<TextBlock HPOS="12" VPOS="20" WIDTH="100.5" HEIGHT="30">'
        '<TextLine><String CONTENT="eins"/></TextLine></TextBlock>'
        '<TextBlock HPOS="0" VPOS="0" WIDTH="5" HEIGHT="5"/>'
        '<TextBlock HPOS="3" VPOS="60" WIDTH="50" HEIGHT="10">'
        '<TextLine><String CONTENT="zwei"/></TextLine></TextBlock>'
        "</PrintSpace></Page></Layout></alto>",
        encoding="utf-8",
    )

    page = read_ground_truth(xml, tmp_path)

    assert page is not None
    assert page.regions == ((12, 20, 113, 51), (3, 60, 54, 71))
