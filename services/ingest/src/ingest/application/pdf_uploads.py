"""PDF uploads: a PDF becomes one page per PDF page, each rendered when ingest normalizes it.

The import only opens the PDF (page count, encryption, scripts, attachments: no rendering),
so a refused PDF is told at once and the rest of the upload still imports; rendering, the
expensive part, happens page by page in the background, where a failing page fails alone.

PDFium is imported when a PDF first comes: most imports hold none, and ingest's start-up
need not pay for it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import anyio

from contracts import PageRegistered, UploadedImage
from contracts.errors import PdfRejected
from ingest.application.ports import IngestPorts, IngestSettings
from ingest.domain.manifest import Canvas, CanvasImage

if TYPE_CHECKING:
    from ingest.formats.pdfium_pages import PdfLimits

PDF_MEDIA_TYPE = "application/pdf"


@dataclass
class PdfCanvases:
    canvases: list[Canvas] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    refusals: list[PdfRejected] = field(default_factory=list)


def pdf_limits(settings: IngestSettings) -> PdfLimits:
    from ingest.formats.pdfium_pages import PdfLimits

    return PdfLimits(
        max_pages=settings.pdf_max_pages,
        max_pixels=settings.max_pixels,
        default_dpi=settings.pdf_default_dpi,
        refuse_embedded=settings.pdf_refuse_embedded,
    )


async def pdf_canvases(position: int, file: UploadedImage, ports: IngestPorts) -> PdfCanvases:
    """One canvas per page, or one skipped canvas that says why the PDF was refused."""
    from ingest.formats.pdfium_pages import inspect_pdf

    found = PdfCanvases()
    upload_id = f"upload:{position}:{file.artifact.sha256}"
    try:
        data = await anyio.to_thread.run_sync(ports.artifacts.get, file.artifact)
        summary = await anyio.to_thread.run_sync(inspect_pdf, data, pdf_limits(ports.settings))
    except PdfRejected as error:
        reason = f"{file.filename}: {error.code}: {error}"
        found.canvases.append(Canvas(upload_id, file.filename, None, None, skip_reason=reason))
        found.refusals.append(error)
        return found
    name = file.label or file.filename
    for number in range(1, summary.page_count + 1):
        image = CanvasImage(
            None, media_type=PDF_MEDIA_TYPE, upload=file.artifact, upload_page=number
        )
        found.canvases.append(
            Canvas(f"{upload_id}:page:{number}", f"{name} p. {number}", None, None, image)
        )
    found.notes += [f"{file.filename}: {note}" for note in summary.notes]
    return found


async def render_uploaded_page(event: PageRegistered, ports: IngestPorts) -> tuple[bytes, float]:
    """The page's PNG at its native resolution, and that resolution in dpi."""
    from ingest.formats.pdfium_pages import render_pdf_page

    assert event.upload is not None
    assert event.upload_page is not None
    data = await anyio.to_thread.run_sync(ports.artifacts.get, event.upload)
    limits = pdf_limits(ports.settings)
    rendered = await anyio.to_thread.run_sync(render_pdf_page, data, event.upload_page, limits)
    return rendered.png, rendered.dpi
