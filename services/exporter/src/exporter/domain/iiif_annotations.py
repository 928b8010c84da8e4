"""One IIIF Presentation 3 `AnnotationPage` per canvas: a `supplementing` annotation per line.

Targets are in CANVAS coordinates: the analysis is in the master image's pixels, and a source
manifest's canvas may be larger or smaller than that image, so every box is scaled once here.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from contracts import Box, Line, PageAnalysis
from exporter.domain.formats import PageFormat
from exporter.domain.geometry import clamp_box, scale_box
from exporter.domain.manuscript import ManuscriptPage
from exporter.domain.urls import GatewayUrls
from exporter.domain.xmltext import TextCleaner

PRESENTATION_3 = "http://iiif.io/api/presentation/3/context.json"


def annotation_page(
    analysis: PageAnalysis | None,
    *,
    page_id: UUID,
    canvas_id: str,
    canvas_size: tuple[int, int] | None,
    urls: GatewayUrls,
    cleaner: TextCleaner | None = None,
) -> dict[str, Any]:
    """The page's line transcriptions as a Presentation 3 AnnotationPage (empty if unanalysed)."""
    clean = cleaner if cleaner is not None else TextCleaner()
    page_url = urls.page(page_id, PageFormat.ANNOTATIONS)
    items: list[dict[str, Any]] = []
    if analysis is not None:
        size = canvas_size or (analysis.image.width, analysis.image.height)
        for number, line in enumerate(analysis.lines(), start=1):
            text = clean(line.text)
            if not text.strip():
                continue
            box = _canvas_box(line.bbox, analysis, size)
            items.append(_line_annotation(f"{page_url}/{number}", canvas_id, box, text, line))
    return {"@context": PRESENTATION_3, "id": page_url, "type": "AnnotationPage", "items": items}


def page_annotations(
    page: ManuscriptPage, urls: GatewayUrls, cleaner: TextCleaner | None = None
) -> dict[str, Any]:
    return annotation_page(
        page.analysis,
        page_id=page.registered.page_id,
        canvas_id=page.canvas_id(urls),
        canvas_size=page.canvas_size(),
        urls=urls,
        cleaner=cleaner,
    )


def _canvas_box(box: Box, analysis: PageAnalysis, canvas_size: tuple[int, int]) -> Box:
    width, height = canvas_size
    sx, sy = width / analysis.image.width, height / analysis.image.height
    scaled = clamp_box(scale_box(box, sx, sy), width, height)
    # A media fragment needs a positive extent inside the canvas, even for a degenerate line.
    x, y = min(scaled.x, width - 1), min(scaled.y, height - 1)
    return Box(
        x=x,
        y=y,
        width=max(1, min(scaled.width, width - x)),
        height=max(1, min(scaled.height, height - y)),
    )


def _line_annotation(
    annotation_id: str, canvas_id: str, box: Box, text: str, line: Line
) -> dict[str, Any]:
    body: dict[str, Any] = {"type": "TextualBody", "value": text, "format": "text/plain"}
    if line.language:
        body["language"] = line.language
    return {
        "id": annotation_id,
        "type": "Annotation",
        "motivation": "supplementing",
        "body": body,
        "target": f"{canvas_id}#xywh={box.x},{box.y},{box.width},{box.height}",
    }
