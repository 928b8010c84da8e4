"""PDF uploads read with PDFium (pypdfium2): what a PDF holds, and each page as an image.

PDFium runs no JavaScript unless a form environment is set up, and none ever is here; a PDF
that carries scripts or embedded files is refused (or, by setting, read without them). PDFium
is not thread-safe, so every call holds one process-wide lock: pages render one at a time.

A page is rendered at its native resolution: for a scan, the scale at which its largest
image comes out at that image's own pixel size; for a page without images, a default DPI.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from contracts.errors import PdfActiveContent, PdfEncrypted, PdfTooLarge, PdfUnreadable

_LOCK = threading.Lock()
POINTS_PER_INCH = 72.0


@dataclass(frozen=True)
class PdfLimits:
    max_pages: int = 2000
    max_pixels: int = 150_000_000
    default_dpi: float = 300.0
    refuse_embedded: bool = True


@dataclass(frozen=True)
class PdfSummary:
    page_count: int
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class RenderedPage:
    png: bytes
    width: int
    height: int
    dpi: float


@contextmanager
def _opened(data: bytes) -> Iterator[pdfium.PdfDocument]:
    with _LOCK:
        try:
            document = pdfium.PdfDocument(data)
        except pdfium.PdfiumError as error:
            if "password" in str(error).lower():
                raise PdfEncrypted("the PDF is encrypted and needs a password") from None
            raise PdfUnreadable(f"not a readable PDF: {error}") from None
        try:
            yield document
        finally:
            document.close()


def inspect_pdf(data: bytes, limits: PdfLimits) -> PdfSummary:
    """The page count, or the reason the PDF is refused (cheap: no page is rendered)."""
    with _opened(data) as document:
        raw = document.raw
        if pdfium_c.FPDF_GetSecurityHandlerRevision(raw) != -1:
            raise PdfEncrypted(
                "the PDF is encrypted (owner restrictions): Recto reads no encrypted PDF"
            )
        count = len(document)
        if count == 0:
            raise PdfUnreadable("the PDF has no pages")
        if count > limits.max_pages:
            raise PdfTooLarge(f"the PDF has {count:,} pages, over the {limits.max_pages:,} limit")
        scripts = pdfium_c.FPDFDoc_GetJavaScriptActionCount(raw)
        if scripts <= 0 and b"/JavaScript" in data:
            scripts = 1  # an OpenAction or annotation action outside the names tree
        attachments = document.count_attachments()
    found = [
        f"{number} {what}"
        for number, what in (
            (max(0, scripts), "JavaScript action(s)"),
            (attachments, "embedded file(s)"),
        )
        if number > 0
    ]
    if found and limits.refuse_embedded:
        raise PdfActiveContent(f"the PDF carries {' and '.join(found)}; Recto refuses them")
    notes = tuple(f"ignored, never run or opened: {item}" for item in found)
    return PdfSummary(count, notes)


def render_pdf_page(data: bytes, number: int, limits: PdfLimits) -> RenderedPage:
    """Page `number` (from 1) as a PNG at its native resolution, which it records."""
    with _opened(data) as document:
        if not 1 <= number <= len(document):
            raise PdfUnreadable(f"the PDF has no page {number} (it has {len(document)})")
        try:
            page = document[number - 1]
        except pdfium.PdfiumError as error:
            raise PdfUnreadable(f"page {number} cannot be read: {error}") from None
        try:
            width_pt, height_pt = page.get_size()
            if page.get_rotation() in (90, 270):
                width_pt, height_pt = height_pt, width_pt
            dpi = _native_dpi(page) or limits.default_dpi
            scale = dpi / POINTS_PER_INCH
            width, height = round(width_pt * scale), round(height_pt * scale)
            if width < 1 or height < 1:
                raise PdfUnreadable(f"page {number} has no area ({width_pt}×{height_pt} pt)")
            if width * height > limits.max_pixels:
                raise PdfTooLarge(
                    f"page {number} is {width_pt:g}×{height_pt:g} pt: {width:,}×{height:,} "
                    f"pixels at {dpi:g} dpi, over the {limits.max_pixels:,} pixel limit"
                )
            image = page.render(scale=scale, may_draw_forms=False).to_pil()
            if image.size != (width, height):
                # PDFium rounds the bitmap up; the page's pixels are its points at the scale.
                image = image.crop((0, 0, min(width, image.width), min(height, image.height)))
            out = io.BytesIO()
            image.save(out, format="PNG", compress_level=1, dpi=(dpi, dpi))
        except pdfium.PdfiumError as error:
            raise PdfUnreadable(f"page {number} cannot be rendered: {error}") from None
        finally:
            page.close()
    return RenderedPage(out.getvalue(), image.width, image.height, round(dpi, 2))


def _native_dpi(page: pdfium.PdfPage) -> float | None:
    """The resolution of the page's largest image as placed: pixels per inch of its width."""
    best: tuple[int, float] | None = None
    for found in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=2):
        assert isinstance(found, pdfium.PdfImage)
        width_px, height_px = found.get_px_size()
        left, bottom, right, top = found.get_bounds()
        placed = max(right - left, top - bottom)
        if placed <= 0 or width_px <= 0:
            continue
        pixels = width_px * height_px
        dpi = max(width_px, height_px) * POINTS_PER_INCH / placed
        if best is None or pixels > best[0]:
            best = (pixels, dpi)
    return best[1] if best else None
