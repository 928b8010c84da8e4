from pathlib import Path

from dinglehopper.ocr_files import extract

from analyzer.application.cer import normalize_text
from analyzer.formats.ground_truth import find_ground_truth, read_ground_truth


def test_every_gt_image_is_found_once_with_page_preferred_over_alto(corpora: Path) -> None:
    root = corpora / "ocr-gt"

    pages = {str(p.image.relative_to(root)): p for p in find_ground_truth(root)}

    assert len(pages) == 11
    kant = pages["ocrd-kant_aufklaerung_1784/OCR-D-IMG/INPUT_0017.tif"]
    assert (kant.format, kant.level, len(kant.segments)) == ("page", "region", 11)
    assert kant.lines[0] == "Berliniſche Monatsſchrift."
    cremma = pages["cremma-bnf_fr_1728-btv1b84473026_f25/btv1b84473026_f25.jpg"]
    assert (cremma.format, len(cremma.lines)) == ("alto", 66)
    hilbert = pages["dta-hilbert_zahlkoerper_1897_0370/GT-PAGE/hilbert_zahlkoerper_1897_0370.jpg"]
    assert hilbert.text == ""  # layout-only ground truth: its regions hold no text
    transkribus = pages["kraken-transkribus-170025120000003_0074/170025120000003,0074.jpg"]
    assert (transkribus.format, len(transkribus.lines)) == ("page", 44)  # PAGE 2013 namespace


def test_a_region_left_out_of_the_reading_order_is_not_ground_truth(corpora: Path) -> None:
    root = corpora / "ocr-gt"
    xml = root / "dta-clauren_mimil_1815_0023/GT-PAGE/clauren_mimil_1815_0023.xml"

    page = read_ground_truth(xml, root)

    # The footnotes (region r14) are printed on the page but are not in its reading order.
    assert page is not None
    assert page.segments[0] == "— 13 —"
    assert "Niemand" not in page.text
    assert "Niemand" in xml.read_text(encoding="utf-8")


def test_every_page_reads_as_dinglehopper_reads_it(corpora: Path) -> None:
    root = corpora / "ocr-gt"

    for page in find_ground_truth(root):
        assert normalize_text(page.text) == extract(str(page.xml)).text, page.xml


def test_alto_word_strings_make_the_line_text(corpora: Path) -> None:
    root = corpora / "ocr-gt"
    xml = root / "ocrd-kant_aufklaerung_1784/OCR-D-GT-ALTO/PAGE_0017_ALTO.xml"

    # Kant's ALTO names no image file, so it cannot stand alone as a GT page.
    assert read_ground_truth(xml, root) is None
    page_xml = root / "ocrd-kant_aufklaerung_1784/OCR-D-GT-PAGE/PAGE_0017_PAGE.xml"
    page = read_ground_truth(page_xml, root)
    assert page is not None
    assert page.image.name == "INPUT_0017.tif"
