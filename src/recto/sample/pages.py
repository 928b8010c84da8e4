"""Where the sample's pages come from: real pages of the shared corpora, else generated ones."""

from __future__ import annotations

import io
import textwrap
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from analyzer.formats.ground_truth import GroundTruthPage, find_ground_truth

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
    ground_truth: GroundTruthPage | None = None


def corpus_pages(root: Path, limit: int) -> list[SamplePage]:
    """Real pages with ground truth beside them (as in `ocr-gt/`), in a stable order."""
    pages: list[SamplePage] = []
    for truth in find_ground_truth(root)[:limit]:
        with Image.open(truth.image) as opened:
            width, height = opened.size
        name = f"p{len(pages) + 1:02d}"
        pages.append(
            SamplePage(name, truth.image.stem, truth.image.read_bytes(), width, height, truth)
        )
    return pages


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
