from pathlib import Path

from analyzer.adapters.ground_truth import find_ground_truth, read_ground_truth


def test_every_gt_image_is_found_once_with_page_preferred_over_alto(corpora: Path) -> None:
    root = corpora / "ocr-gt"

    pages = {str(p.image.relative_to(root)): p for p in find_ground_truth(root)}

    assert len(pages) == 11
    kant = pages["ocrd-kant_aufklaerung_1784/OCR-D-IMG/INPUT_0017.tif"]
    assert (kant.format, len(kant.lines)) == ("page", 24)
    assert kant.lines[0] == "Berliniſche Monatsſchrift."
    cremma = pages["cremma-bnf_fr_1728-btv1b84473026_f25/btv1b84473026_f25.jpg"]
    assert (cremma.format, len(cremma.lines)) == ("alto", 66)
    assert (
        pages["dta-hilbert_zahlkoerper_1897_0370/GT-PAGE/hilbert_zahlkoerper_1897_0370.jpg"].lines
        == []
    )
    transkribus = pages["kraken-transkribus-170025120000003_0074/170025120000003,0074.jpg"]
    assert (transkribus.format, len(transkribus.lines)) == ("page", 44)  # PAGE 2013 namespace


def test_alto_word_strings_make_the_line_text(corpora: Path) -> None:
    root = corpora / "ocr-gt"
    xml = root / "ocrd-kant_aufklaerung_1784/OCR-D-GT-ALTO/PAGE_0017_ALTO.xml"

    # Kant's ALTO names no image file, so it cannot stand alone as a GT page.
    assert read_ground_truth(xml, root) is None
    page_xml = root / "ocrd-kant_aufklaerung_1784/OCR-D-GT-PAGE/PAGE_0017_PAGE.xml"
    page = read_ground_truth(page_xml, root)
    assert page is not None
    assert page.image.name == "INPUT_0017.tif"
