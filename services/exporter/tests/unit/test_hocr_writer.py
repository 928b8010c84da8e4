from __future__ import annotations

from lxml import etree, html

from contracts import PageAnalysis
from exporter.formats.hocr_writer import write_hocr
from exporter.testing import hocr_problems


def test_hocr_is_well_formed_xhtml_with_the_hocr_structure(analysis: PageAnalysis) -> None:
    content = write_hocr(analysis, image_name="folio-1r.jpg").content
    etree.fromstring(content)  # XHTML: any XML parser reads it
    assert hocr_problems(content) == []
    root = html.fromstring(content)
    (page,) = root.xpath("//div[@class='ocr_page']")
    assert page.get("title") == 'image "folio-1r.jpg"; bbox 0 0 2000 3000; ppageno 0'
    words = root.xpath("//span[@class='ocrx_word']")
    assert [w.text for w in words] == ["Livre", "d'heures", "Cafe\u0301 au lait."]
    assert words[0].get("title") == "bbox 100 80 300 140; x_wconf 95"
    # The line without words is one word over the line; the U+0007 XML cannot carry is gone.
    assert words[2].get("title") == "bbox 100 300 900 350"
    lines = root.xpath("//span[@class='ocr_line']")
    assert [line.text_content() for line in lines] == ["Livre d'heures", "Cafe\u0301 au lait."]
    assert lines[0].get("title") == "bbox 100 80 700 140; baseline 0.0033 -10"


def test_a_page_without_text_is_still_one_ocr_page(analysis: PageAnalysis) -> None:
    empty = analysis.model_copy(update={"regions": [], "reading_order": []})
    content = write_hocr(empty).content
    assert hocr_problems(content) == []
    assert html.fromstring(content).xpath("//*[@class='ocr_line']") == []
