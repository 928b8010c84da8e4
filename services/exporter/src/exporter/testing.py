"""Builders and checkers for tests of the exporter's outputs (never in production)."""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

from lxml import etree, html
from PIL import Image

from contracts import (
    EngineInfo,
    ImageRef,
    ManuscriptImported,
    MetadataEntry,
    PageAnalysis,
    PageRegistered,
    StageOutput,
)
from exporter.application.bundle import ImageOpener
from exporter.domain.manuscript import ManuscriptPage
from exporter.domain.stages import text_regions
from exporter.formats.alto_reader import read_alto
from exporter.formats.page_reader import read_page

GROUND_TRUTH_MANUSCRIPT = UUID("00000000-0000-4000-8000-0000000000aa")


@dataclass(frozen=True)
class GroundTruth:
    """The corpora's ground-truth pages as one manuscript, with their images on disk."""

    imported: ManuscriptImported
    pages: list[ManuscriptPage]
    images: dict[int, Path]

    def opener(self, page: ManuscriptPage) -> ImageOpener:
        path = self.images[page.registered.index]

        def chunks() -> Iterable[bytes]:
            return [path.read_bytes()]

        return chunks


def transcription(xml: Path) -> PageAnalysis:
    content = xml.read_bytes()
    root = etree.fromstring(content)
    return read_page(content) if etree.QName(root).localname == "PcGts" else read_alto(content)


def with_stages(analysis: PageAnalysis) -> PageAnalysis:
    """The page as a plan with two stages leaves it: a translation that keeps the regions'
    paragraphs (so it splits among them) and a one-paragraph commentary on the whole page."""
    blocks = [
        " ".join(line.text for line in region.lines if line.text.strip())
        for region in text_regions(analysis)
    ]
    engine = EngineInfo(name="vlm", model="fake-vlm")
    translation = "\n\n".join(f"[en] {block}" for block in blocks)
    commentary = "A page of ground truth, commented on as a whole."
    stages = [
        StageOutput(
            name="translation", output=translation, engine=engine, kind="translation", language="en"
        ),
        StageOutput(name="Kommentar", output=commentary, engine=engine, kind="commentary"),
    ]
    return analysis.model_copy(update={"stages": stages})


def ground_truth_pairs(corpora: Path) -> list[tuple[Path, Path]]:
    """Every ground-truth transcription of `corpora/ocr-gt` with its page image."""
    pairs = []
    for xml in sorted(p for p in (corpora / "ocr-gt").rglob("*.xml") if p.name != "mets.xml"):
        if xml.parts[-3] == "ocrd-kant_aufklaerung_1784":
            image = xml.parents[1] / "OCR-D-IMG" / f"INPUT_{xml.stem.split('_')[1]}.tif"
        else:
            image = next(
                xml.with_suffix(suffix)
                for suffix in (".jpg", ".png", ".tif")
                if xml.with_suffix(suffix).exists()
            )
        pairs.append((xml, image))
    return pairs


def ground_truth_manuscript(corpora: Path) -> GroundTruth:
    pages, images = [], {}
    for index, (xml, image) in enumerate(ground_truth_pairs(corpora)):
        with Image.open(image) as opened:
            width, height = opened.size
        master = ImageRef(
            sha256="0" * 64,
            media_type=mimetypes.guess_type(image.name)[0] or "image/jpeg",
            bytes=image.stat().st_size,
            width=width,
            height=height,
        )
        registered = PageRegistered(
            page_id=UUID(int=0x100 + index),
            manuscript_id=GROUND_TRUTH_MANUSCRIPT,
            corpus_id=UUID(int=2),
            index=index,
            label=xml.stem,
        )
        pages.append(ManuscriptPage(registered, transcription(xml), master))
        images[index] = image
    imported = ManuscriptImported(
        manuscript_id=GROUND_TRUTH_MANUSCRIPT,
        corpus_id=UUID(int=2),
        label="Ground truth",
        page_count=len(pages),
        manifest_id="https://library.example/iiif/gt/manifest",
        metadata=[MetadataEntry(label="Source", value="corpora/ocr-gt")],
    )
    return GroundTruth(imported, pages, images)


_BBOX = re.compile(r"bbox (\d+) (\d+) (\d+) (\d+)")
_LEVELS = ["ocr_page", "ocr_carea", "ocr_par", "ocr_line", "ocrx_word"]


def hocr_problems(content: bytes) -> list[str]:
    """What breaks hOCR 1.2's structure: nesting of the classes, boxes, confidences."""
    problems: list[str] = []
    root = html.fromstring(content)
    capabilities = root.xpath("//meta[@name='ocr-capabilities']/@content")
    declared = set(capabilities[0].split()) if capabilities else set()
    pages = root.xpath("//*[@class='ocr_page']")
    if len(pages) != 1:
        return [f"{len(pages)} ocr_page elements"]
    page_box = _box(pages[0])
    if page_box is None or page_box[:2] != (0, 0):
        problems.append("ocr_page has no bbox from 0 0")
    for element in root.xpath("//*[starts-with(@class, 'ocr')]"):
        kind = element.get("class")
        if kind not in declared:
            problems.append(f"{kind} used but not in ocr-capabilities")
        if kind == "ocr_page":
            continue
        parent = element.getparent()
        while parent is not None and not str(parent.get("class", "")).startswith("ocr"):
            parent = parent.getparent()
        expected = _LEVELS[_LEVELS.index(kind) - 1] if kind in _LEVELS else None
        found = parent.get("class") if parent is not None else None
        if found != expected:
            problems.append(f"{element.get('id')}: {kind} inside {found}")
        box, outer = _box(element), _box(parent) if parent is not None else None
        if box is None or page_box is None:
            problems.append(f"{element.get('id')}: no bbox")
        elif not (box[0] <= box[2] <= page_box[2] and box[1] <= box[3] <= page_box[3]):
            problems.append(f"{element.get('id')}: bbox {box} outside the page")
        elif outer is not None and not _inside(box, outer):
            problems.append(f"{element.get('id')}: bbox {box} outside its parent {outer}")
        if kind == "ocrx_word":
            confidence = re.search(r"x_wconf (\d+)", element.get("title", ""))
            if confidence and not 0 <= int(confidence.group(1)) <= 100:
                problems.append(f"{element.get('id')}: x_wconf {confidence.group(1)}")
    return problems


def _box(element: html.HtmlElement) -> tuple[int, int, int, int] | None:
    found = _BBOX.search(element.get("title", ""))
    if found is None:
        return None
    x0, y0, x1, y1 = (int(n) for n in found.groups())
    return x0, y0, x1, y1


def _inside(box: tuple[int, int, int, int], outer: tuple[int, int, int, int]) -> bool:
    return outer[0] <= box[0] and outer[1] <= box[1] and box[2] <= outer[2] and box[3] <= outer[3]
