"""hOCR 1.2 from a `PageAnalysis`: page, content areas, paragraphs, lines and words with boxes.

XHTML, as Tesseract writes it, so XML and HTML parsers both read it. Every element's `title`
holds its `bbox` in the master image's pixels; words carry `x_wconf` (0-100) when known,
lines their `baseline` (slope, offset from the box's bottom left).
"""

from __future__ import annotations

from lxml import etree

from contracts import Box, Line, PageAnalysis, Word
from exporter.domain.document import RenderedDocument
from exporter.domain.formats import PageFormat
from exporter.domain.spacing import spaced_gaps
from exporter.domain.xmltext import TextCleaner, xml_language

XHTML = "http://www.w3.org/1999/xhtml"
DOCTYPE = (
    '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" '
    '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">'
)
CAPABILITIES = "ocr_page ocr_carea ocr_par ocr_line ocrx_word ocrp_wconf ocrp_lang"


def write_hocr(
    analysis: PageAnalysis, *, image_name: str | None = None, page_number: int = 1
) -> RenderedDocument:
    writer = _HocrWriter(analysis, TextCleaner(), page_number)
    root = writer.build(image_name or analysis.image.uri)
    etree.indent(root, space=" ")
    # Inside a line, whitespace is text: only the line's own word gaps may stand there.
    for line, tails in writer.inline:
        line.text = None
        for word, tail in tails:
            word.tail = tail
    content = etree.tostring(root, xml_declaration=True, encoding="UTF-8", doctype=DOCTYPE)
    return RenderedDocument(content, PageFormat.HOCR.media_type, writer.clean.dropped)


def _e(parent: etree._Element, tag: str, /, **attributes: str) -> etree._Element:
    return etree.SubElement(parent, f"{{{XHTML}}}{tag}", attributes)


def _bbox(box: Box) -> str:
    return f"bbox {box.x} {box.y} {box.right} {box.bottom}"


class _HocrWriter:
    def __init__(self, analysis: PageAnalysis, clean: TextCleaner, page_number: int) -> None:
        self.analysis, self.clean, self.number = analysis, clean, page_number
        self.counts = {"block": 0, "par": 0, "line": 0, "word": 0}
        self.inline: list[tuple[etree._Element, list[tuple[etree._Element, str | None]]]] = []

    def _id(self, kind: str) -> str:
        self.counts[kind] += 1
        return f"{kind}_{self.number}_{self.counts[kind]}"

    def build(self, image_name: str | None) -> etree._Element:
        analysis, engine = self.analysis, self.analysis.engine
        root = etree.Element(f"{{{XHTML}}}html", nsmap={None: XHTML})
        language = xml_language(analysis.languages[0] if analysis.languages else None)
        if language:
            root.set("lang", language)
        head = _e(root, "head")
        _e(head, "title").text = self.clean(image_name or "")
        _e(head, "meta", **{"http-equiv": "Content-Type", "content": "text/html;charset=utf-8"})
        system = " ".join(part for part in ("Recto", engine.name, engine.version) if part)
        _e(head, "meta", name="ocr-system", content=self.clean(system))
        _e(head, "meta", name="ocr-capabilities", content=CAPABILITIES)
        _e(head, "meta", name="ocr-number-of-pages", content="1")
        body = _e(root, "body")
        image = analysis.image
        title = [_bbox(Box(x=0, y=0, width=image.width, height=image.height))]
        if image_name:
            quoted = self.clean(image_name).replace('"', "'")
            title.insert(0, f'image "{quoted}"')
        title.append(f"ppageno {self.number - 1}")
        page = _e(body, "div", id=f"page_{self.number}", title="; ".join(title))
        page.set("class", "ocr_page")
        for region in analysis.ordered_regions():
            if not region.lines:
                continue
            area = _e(page, "div", id=self._id("block"), title=_bbox(region.bbox))
            area.set("class", "ocr_carea")
            paragraph = _e(area, "p", id=self._id("par"), title=_bbox(region.bbox))
            paragraph.set("class", "ocr_par")
            if language := xml_language(region.language):
                paragraph.set("lang", language)
            for line in region.lines:
                self._line(paragraph, line)
        return root

    def _line(self, paragraph: etree._Element, line: Line) -> None:
        title = [_bbox(line.bbox)]
        if line.baseline and len(line.baseline) >= 2:
            (x0, y0), (x1, y1) = line.baseline[0], line.baseline[-1]
            slope = (y1 - y0) / (x1 - x0) if x1 != x0 else 0.0
            offset = y0 + slope * (line.bbox.x - x0) - line.bbox.bottom
            title.append(f"baseline {round(slope, 4):g} {round(offset):d}")
        element = _e(paragraph, "span", id=self._id("line"), title="; ".join(title))
        element.set("class", "ocr_line")
        if language := xml_language(line.language):
            element.set("lang", language)
        words = line.words or [
            Word(id="line", text=line.text, bbox=line.bbox, confidence=line.confidence)
        ]
        gaps = [*(spaced_gaps(line) if line.words else []), False]
        tails = [
            (self._word(element, word), " " if spaced and index < len(words) - 1 else None)
            for index, (word, spaced) in enumerate(zip(words, gaps, strict=False))
        ]
        self.inline.append((element, tails))

    def _word(self, line: etree._Element, word: Word) -> etree._Element:
        title = [_bbox(word.bbox)]
        if word.confidence is not None:
            title.append(f"x_wconf {round(word.confidence * 100)}")
        element = _e(line, "span", id=self._id("word"), title="; ".join(title))
        element.set("class", "ocrx_word")
        element.text = self.clean(word.text)
        return element
