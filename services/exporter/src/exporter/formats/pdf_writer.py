"""One page of a searchable PDF: the page image, and over it its words as invisible text.

As OCRmyPDF lays it out: text render mode 3 (neither filled nor stroked), each word placed at
its box and horizontally scaled (`Tz`) to the box's width, a space between words the line's
text separates, stretched over the gap. The image goes in as it is when PDF can carry it
(a JPEG: DCTDecode, no new generation); any other image is decoded once and stored losslessly.
"""

from __future__ import annotations

import io
import logging
import zlib
from dataclasses import dataclass

import pikepdf
from PIL import Image, ImageOps

from contracts import Line, PageAnalysis, Word
from exporter.domain.spacing import spaced_gaps
from exporter.domain.xmltext import TextCleaner
from exporter.formats.glyphless_font import GLYPH_WIDTH, TextEncoder, glyphless_font

log = logging.getLogger(__name__)
DEFAULT_DPI = 300.0
MAX_PAGE_POINTS = 14_400  # PDF's largest page side (200 inches) without UserUnit


@dataclass(frozen=True)
class PageImageData:
    data: bytes
    media_type: str


def pdf_page(
    image: PageImageData | None,
    analysis: PageAnalysis | None,
    size: tuple[int, int],
) -> pikepdf.Pdf:
    """A one-page PDF; `size` is the page's pixel space (the analysis' and the master's)."""
    pdf = pikepdf.new()
    width_px, height_px = size
    dpi = DEFAULT_DPI
    xobject = None
    if image is not None:
        try:
            xobject, found_dpi = _image_xobject(pdf, image)
        except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
            # One unreadable master costs its page the picture, never the manuscript its PDF.
            log.warning("page image not placed in the PDF (%s): %s", image.media_type, error)
        else:
            dpi = found_dpi or DEFAULT_DPI
    dpi = max(dpi, max(width_px, height_px) * 72 / MAX_PAGE_POINTS)
    scale = 72.0 / dpi
    width_pt, height_pt = width_px * scale, height_px * scale
    page = pdf.add_blank_page(page_size=(width_pt, height_pt))
    resources = pikepdf.Dictionary()
    content = []
    if xobject is not None:
        resources.XObject = pikepdf.Dictionary(Im0=xobject)
        content.append(f"q {width_pt:.4f} 0 0 {height_pt:.4f} 0 0 cm /Im0 Do Q")
    if analysis is not None:
        encoder = TextEncoder()
        text = _text_layer(analysis, encoder, scale, height_pt)
        if text:
            resources.Font = pikepdf.Dictionary(F0=glyphless_font(pdf, encoder))
            content.append(text)
    page.obj.Resources = resources
    page.obj.Contents = pdf.make_stream("\n".join(content).encode())
    return pdf


def _image_xobject(pdf: pikepdf.Pdf, image: PageImageData) -> tuple[pikepdf.Stream, float | None]:
    with Image.open(io.BytesIO(image.data)) as opened:
        dpi = _dpi(opened.info.get("dpi"))
        orientation = opened.getexif().get(0x0112, 1)
        if opened.format == "JPEG" and opened.mode in ("L", "RGB") and orientation in (1, None):
            space = pikepdf.Name.DeviceGray if opened.mode == "L" else pikepdf.Name.DeviceRGB
            stream = pikepdf.Stream(pdf, image.data)
            stream.write(image.data, filter=pikepdf.Name.DCTDecode)
            _describe(stream, opened.size, space, 8)
            return stream, dpi
        decoded = _flat(ImageOps.exif_transpose(opened))
    if decoded.mode == "1":
        space, bits = pikepdf.Name.DeviceGray, 1
    else:
        space = pikepdf.Name.DeviceGray if decoded.mode == "L" else pikepdf.Name.DeviceRGB
        bits = 8
    raw = zlib.compress(decoded.tobytes(), 6)
    stream = pikepdf.Stream(pdf, raw)
    stream.write(raw, filter=pikepdf.Name.FlateDecode)
    _describe(stream, decoded.size, space, bits)
    return stream, dpi


def _describe(
    stream: pikepdf.Stream, size: tuple[int, int], space: pikepdf.Name, bits: int
) -> None:
    stream.Type = pikepdf.Name.XObject
    stream.Subtype = pikepdf.Name.Image
    stream.Width, stream.Height = size
    stream.ColorSpace = space
    stream.BitsPerComponent = bits


def _flat(image: Image.Image) -> Image.Image:
    """1-bit, gray or RGB: what PDF's device spaces take; transparency goes onto white."""
    if image.mode in ("1", "L", "RGB"):
        return image
    if "A" in image.mode or "transparency" in image.info:
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    if image.mode.startswith(("I", "F")):
        return image.convert("L")
    return image.convert("RGB")


def _dpi(value: object) -> float | None:
    """The image's own resolution when it is believable (scanners write 1 or 72 by default)."""
    if isinstance(value, tuple) and value and isinstance(value[0], int | float):
        dpi = float(value[0])
        return dpi if 96 <= dpi <= 2400 else None
    return None


def _text_layer(analysis: PageAnalysis, encoder: TextEncoder, scale: float, height: float) -> str:
    clean = TextCleaner()
    runs = []
    for line in analysis.lines():
        runs += _line_runs(line, encoder, clean, scale, height)
    if not runs:
        return ""
    return "\n".join(["BT", "3 Tr", *runs, "ET"])


def _line_runs(
    line: Line, encoder: TextEncoder, clean: TextCleaner, scale: float, height: float
) -> list[str]:
    words = line.words or [Word(id="line", text=line.text, bbox=line.bbox)]
    gaps = [*(spaced_gaps(line) if line.words else []), False]
    size = max(1.0, line.bbox.height * scale)
    baseline = height - line.bbox.bottom * scale
    runs = []
    for index, word in enumerate(words):
        text = clean(word.text).strip()
        if not text:
            continue
        right = word.bbox.right
        if gaps[index] and index + 1 < len(words):
            # The space is drawn over the gap, so extraction finds it between the two words.
            text += " "
            right = max(right, words[index + 1].bbox.x)
        codes = encoder.encode(text)
        glyphs = len(codes) // 2
        if not glyphs:
            continue
        width = max(1.0, (right - word.bbox.x) * scale)
        stretch = 100.0 * width / (glyphs * GLYPH_WIDTH * size)
        runs.append(
            f"/F0 {size:.3f} Tf {stretch:.3f} Tz 1 0 0 1 {word.bbox.x * scale:.3f} "
            f"{baseline:.3f} Tm <{codes.hex().upper()}> Tj"
        )
    return runs
