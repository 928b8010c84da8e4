"""Where the sample's pages come from: real pages of the shared corpora, else generated ones."""

from __future__ import annotations

import io
import textwrap
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".tif", ".tiff"}

SAMPLE_TEXT = (
    "Recto turns digitised manuscripts and printed books into validated searchable "
    "transcriptions. Every page is fetched, normalised, analysed and exported as ALTO, "
    "PAGE, IIIF annotations and METS, each checked against its schema before it is kept."
)


@dataclass(frozen=True)
class SamplePage:
    name: str
    label: str
    data: bytes
    width: int
    height: int
    ground_truth: Path | None = None


def corpus_pages(root: Path, limit: int) -> list[SamplePage]:
    """Real pages with ground truth beside them (as in `ocr-gt/`), in a stable order."""
    pages: list[SamplePage] = []
    for image in sorted(p for p in root.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES):
        truth = _ground_truth_for(image)
        if truth is None:
            continue
        with Image.open(image) as opened:
            width, height = opened.size
        label = (
            image.parent.name
            if image.parent.name not in ("OCR-D-IMG", "GT-PAGE")
            else (image.parent.parent.name)
        )
        pages.append(
            SamplePage(f"p{len(pages) + 1:02d}", label, image.read_bytes(), width, height, truth)
        )
        if len(pages) == limit:
            break
    return pages


def _ground_truth_for(image: Path) -> Path | None:
    for candidate in (
        image.with_suffix(".xml"),
        image.parent.parent / "OCR-D-GT-PAGE" / (image.stem + ".xml"),
    ):
        if candidate.is_file():
            return candidate
    return None


def generated_pages(count: int) -> list[SamplePage]:
    """Printed-looking pages of known text, when no corpus is at hand."""
    font = ImageFont.load_default(size=34)
    pages = []
    for number in range(1, count + 1):
        image = Image.new("L", (1400, 2000), 250)
        draw = ImageDraw.Draw(image)
        draw.text((120, 110), f"Folio {number}", fill=20, font=ImageFont.load_default(size=56))
        for row, line in enumerate(textwrap.wrap(SAMPLE_TEXT, 52)):
            draw.text((120, 260 + row * 64), line, fill=25, font=font)
        buffer = io.BytesIO()
        image.save(buffer, "PNG")
        pages.append(SamplePage(f"p{number:02d}", f"f. {number}r", buffer.getvalue(), 1400, 2000))
    return pages
