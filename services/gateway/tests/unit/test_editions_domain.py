"""The gateway's pure editions logic: file matching, file sniffing, as_of, text metrics."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.application.text_metrics import cer, graphemes, normalise, wer
from gateway.domain.as_of import MalformedAsOf, parse_as_of
from gateway.domain.page_matching import FileNames, PageNames, match_files, stem
from gateway.domain.transcription_files import NotATranscription, read_head

IIIF = "https://iiif.example/{n}/full/max/0/default.jpg"


def pages(count: int) -> list[PageNames]:
    return [
        PageNames(UUID(int=n), n, (IIIF.format(n=n), f"f. {n + 1}r", f"https://x/canvas/c{n}"))
        for n in range(count)
    ]


def test_files_match_by_image_then_name_then_order() -> None:
    matches, unmatched = match_files(
        [
            FileNames("export/page/scan.xml", "c2.jpg"),  # names page 2's canvas
            FileNames("export/page/f. 1r.xml", None),  # named after page 0's label
            FileNames("export/page/zzz.xml", "unknown.tif"),  # left over: by order
        ],
        pages(3),
    )
    assert [(m.path, m.page_id.int, m.matched_by) for m in matches] == [
        ("export/page/f. 1r.xml", 0, "file name"),
        ("export/page/scan.xml", 2, "image name"),
        ("export/page/zzz.xml", 1, "order"),
    ]
    assert unmatched == []


def test_a_name_every_page_shares_matches_none() -> None:
    # IIIF image URLs all end in default.jpg: that name says nothing about which page.
    matches, unmatched = match_files(
        [
            FileNames("a.xml", "default.jpg"),
            FileNames("b.xml", "default.jpg"),
            FileNames("c.xml", None),
        ],
        pages(2),
    )
    assert matches == []
    assert unmatched == ["a.xml", "b.xml", "c.xml"]


def test_stems_drop_folders_queries_and_extensions_not_labels() -> None:
    assert stem("scans/Folio 12r.JPG?x=1") == "folio 12r"
    assert stem("0001_btv1b.page.xml") == "0001_btv1b"
    assert stem("f. 1r") == "f. 1r"


def test_the_image_a_file_describes_is_read() -> None:
    page = (
        b'<PcGts xmlns="http://schema.primaresearch.org/PAGE/gts/pagecontent/2019-07-15">'
        b'<Metadata/><Page imageFilename="f1.jpg" imageWidth="1" imageHeight="1"/></PcGts>'
    )
    alto = (
        b'<alto xmlns="http://www.loc.gov/standards/alto/ns-v4#"><Description>'
        b"<sourceImageInformation><fileName>f2.tif</fileName></sourceImageInformation>"
        b"</Description></alto>"
    )
    assert (read_head(page).format, read_head(page).image_name) == ("page", "f1.jpg")
    assert (read_head(alto).format, read_head(alto).image_name) == ("alto", "f2.tif")
    with pytest.raises(NotATranscription):
        read_head(b'<mets xmlns="http://www.loc.gov/METS/"/>')


def test_as_of_reads_positions_and_instants() -> None:
    assert parse_as_of("123") == 123
    assert parse_as_of("2025-01-31T12:00:00Z") == datetime(2025, 1, 31, 12, tzinfo=UTC)
    # An unescaped `+` in a query string arrives as a space.
    assert parse_as_of("2025-01-31T13:00:00 01:00") == datetime(2025, 1, 31, 12, tzinfo=UTC)
    assert parse_as_of("2025-01-31") == datetime(2025, 1, 31, tzinfo=UTC)
    for bad in ("", "-1", "soon", str(1 << 63), "2025-02-30"):
        with pytest.raises(MalformedAsOf):
            parse_as_of(bad)


def test_an_accent_costs_one_character() -> None:
    assert graphemes("cafe\u0301") == ["c", "a", "f", "e\u0301"]
    assert cer("cafe", "cafe\u0301") == pytest.approx(1 / 4)
    assert cer("", "") == 0.0
    assert cer("", "x") == 1.0
    assert wer("in principio erat", "in principio erit") == pytest.approx(1 / 3)


@given(st.text(max_size=40), st.text(max_size=40))
def test_cer_is_zero_exactly_for_the_same_normalised_text(first: str, second: str) -> None:
    assert (cer(first, second) == 0) == (normalise(first) == normalise(second))
    assert cer(first, second) >= 0
