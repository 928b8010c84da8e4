"""Render one page format and validate it: the single path every export takes."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from contracts import PageAnalysis
from contracts.errors import ExportError
from exporter.domain.document import RenderedDocument
from exporter.domain.formats import PageFormat, plain_text
from exporter.domain.iiif_annotations import Granularity, annotation_page, stage_annotation_page
from exporter.domain.stages import StageText
from exporter.domain.urls import GatewayUrls
from exporter.domain.workspace import pcgts_id
from exporter.domain.xmltext import TextCleaner
from exporter.formats import xsd
from exporter.formats.alto_writer import write_alto
from exporter.formats.consistency import consistent_geometry, words_as_written
from exporter.formats.hocr_writer import write_hocr
from exporter.formats.page_writer import write_page


def page_format(name: str) -> PageFormat:
    try:
        return PageFormat(name)
    except ValueError:
        known = ", ".join(f.value for f in PageFormat)
        raise ExportError(f"unknown export format {name!r} (known: {known})") from None


def json_bytes(document: dict[str, Any]) -> bytes:
    """Stable JSON: key order as built, UTF-8, two-space indent, trailing newline."""
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode()


def render_page(
    fmt: PageFormat,
    analysis: PageAnalysis,
    *,
    page_id: UUID,
    urls: GatewayUrls,
    canvas_id: str | None = None,
    canvas_size: tuple[int, int] | None = None,
    image_name: str | None = None,
    page_number: int = 1,
    status: str | None = None,
) -> RenderedDocument:
    """Blocking (lxml): call it in a worker thread from async code. `status` is the page's
    editorial status (PAGE records it)."""
    if fmt is PageFormat.ALTO:
        laid_out = consistent_geometry(analysis)
        document = write_alto(laid_out, image_name=image_name, page_number=page_number)
        xsd.validate(xsd.Schema.ALTO, document.content)
        return document
    if fmt is PageFormat.PAGE:
        laid_out = consistent_geometry(words_as_written(analysis))
        document = write_page(
            laid_out, image_name=image_name, pcgts_id=pcgts_id(page_number), status=status
        )
        xsd.validate(xsd.Schema.PAGE, document.content)
        return document
    if fmt is PageFormat.HOCR:
        laid_out = consistent_geometry(analysis)
        return write_hocr(laid_out, image_name=image_name, page_number=page_number)
    clean = TextCleaner()
    if fmt is PageFormat.TEXT:
        content = plain_text(clean(analysis.text()))
    else:
        content = json_bytes(
            annotation_page(
                analysis,
                page_id=page_id,
                canvas_id=canvas_id or urls.canvas(page_id),
                canvas_size=canvas_size,
                urls=urls,
                cleaner=clean,
                granularity=Granularity.WORD
                if fmt is PageFormat.WORD_ANNOTATIONS
                else Granularity.LINE,
            )
        )
    return RenderedDocument(content, fmt.media_type, clean.dropped)


def render_stage(
    fmt: PageFormat,
    analysis: PageAnalysis,
    stage: StageText,
    *,
    page_id: UUID,
    urls: GatewayUrls,
    canvas_id: str | None = None,
    canvas_size: tuple[int, int] | None = None,
) -> RenderedDocument:
    """One stage output's own file in `fmt`, one of the formats that give each stage one."""
    clean = TextCleaner()
    if fmt is PageFormat.TEXT:
        content = plain_text(clean(stage.text.strip()))
    elif fmt is PageFormat.ANNOTATIONS:
        document = stage_annotation_page(
            analysis,
            stage,
            page_id=page_id,
            canvas_id=canvas_id or urls.canvas(page_id),
            canvas_size=canvas_size,
            urls=urls,
            cleaner=clean,
        )
        content = json_bytes(document)
    else:
        raise ExportError(f"the {fmt.value} export has no file per stage")
    return RenderedDocument(content, fmt.media_type, clean.dropped)
