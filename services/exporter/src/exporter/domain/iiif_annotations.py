"""IIIF Presentation 3 `AnnotationPage`s of a canvas's transcription: one of lines, one of words.

Each annotation carries its `textGranularity` (the IIIF Text Granularity extension) and two
motivations: `supplementing`, which the Presentation API asks of text derived from the canvas,
and `commenting`, because Mirador 3 and 4 hide every other motivation unless their user
configures them (ADR 0019); the Web Annotation model allows an annotation several motivations.

Each stage output (translation, normalization, commentary…) is a page of its own: one
annotation per region it belongs to, or one on the whole canvas, with its body's `language` and
the stage's kind's motivations (ADR 0024).

Targets are in CANVAS coordinates: the analysis is in the master image's pixels, and a source
manifest's canvas may be larger or smaller than that image, so every box is scaled once here.
"""

from __future__ import annotations

from collections.abc import Iterator
from enum import StrEnum
from typing import Any
from uuid import UUID

from contracts import Box, PageAnalysis
from exporter.domain.formats import PageFormat
from exporter.domain.geometry import clamp_box, scale_box
from exporter.domain.manuscript import ManuscriptPage
from exporter.domain.stages import StageText, text_regions
from exporter.domain.urls import GatewayUrls
from exporter.domain.xmltext import TextCleaner

PRESENTATION_3 = "http://iiif.io/api/presentation/3/context.json"
TEXT_GRANULARITY = "http://iiif.io/api/extension/text-granularity/context.json"
MOTIVATIONS = ["supplementing", "commenting"]


class Granularity(StrEnum):
    LINE = "line"
    WORD = "word"

    @property
    def page_format(self) -> PageFormat:
        return PageFormat.ANNOTATIONS if self is Granularity.LINE else PageFormat.WORD_ANNOTATIONS


def annotation_page(
    analysis: PageAnalysis | None,
    *,
    page_id: UUID,
    canvas_id: str,
    canvas_size: tuple[int, int] | None,
    urls: GatewayUrls,
    cleaner: TextCleaner | None = None,
    granularity: Granularity = Granularity.LINE,
) -> dict[str, Any]:
    """The page's lines (or words) as a Presentation 3 AnnotationPage (empty if unanalyzed)."""
    clean = cleaner if cleaner is not None else TextCleaner()
    page_url = urls.page(page_id, granularity.page_format)
    items: list[dict[str, Any]] = []
    if analysis is not None:
        size = canvas_size or (analysis.image.width, analysis.image.height)
        for number, (text, box, language) in enumerate(_texts(analysis, granularity), start=1):
            text = clean(text)
            if not text.strip():
                continue
            target = _canvas_box(box, analysis, size)
            annotation = _annotation(f"{page_url}/{number}", canvas_id, target, text, language)
            annotation["textGranularity"] = granularity.value
            items.append(annotation)
    return {
        "@context": [TEXT_GRANULARITY, PRESENTATION_3],
        "id": page_url,
        "type": "AnnotationPage",
        "items": items,
    }


def page_annotations(
    page: ManuscriptPage,
    urls: GatewayUrls,
    cleaner: TextCleaner | None = None,
    granularity: Granularity = Granularity.LINE,
) -> dict[str, Any]:
    return annotation_page(
        page.analysis,
        page_id=page.registered.page_id,
        canvas_id=page.canvas_id(urls),
        canvas_size=page.canvas_size(),
        urls=urls,
        cleaner=cleaner,
        granularity=granularity,
    )


def stage_annotation_page(
    analysis: PageAnalysis,
    stage: StageText,
    *,
    page_id: UUID,
    canvas_id: str,
    canvas_size: tuple[int, int] | None,
    urls: GatewayUrls,
    cleaner: TextCleaner | None = None,
) -> dict[str, Any]:
    """One stage output as a Presentation 3 AnnotationPage: by region, or on the whole canvas."""
    clean = cleaner if cleaner is not None else TextCleaner()
    page_url = urls.stage(page_id, PageFormat.ANNOTATIONS, stage.slug)
    size = canvas_size or (analysis.image.width, analysis.image.height)
    if stage.blocks is None:
        placed = [(canvas_id, stage.text.strip(), "page")]
    else:
        boxes = {region.id: region.bbox for region in text_regions(analysis)}
        placed = [
            (_fragment(canvas_id, _canvas_box(boxes[region_id], analysis, size)), text, "block")
            for region_id, text in stage.blocks.items()
        ]
    items = []
    for number, (target, text, granularity) in enumerate(placed, start=1):
        if not (value := clean(text)).strip():
            continue
        body: dict[str, Any] = {"type": "TextualBody", "value": value, "format": "text/plain"}
        if stage.language:
            body["language"] = stage.language
        items.append(
            {
                "id": f"{page_url}/{number}",
                "type": "Annotation",
                "motivation": stage.motivation,
                "body": body,
                "target": target,
                "textGranularity": granularity,
            }
        )
    return {
        "@context": [TEXT_GRANULARITY, PRESENTATION_3],
        "id": page_url,
        "type": "AnnotationPage",
        "label": {"none": [stage.label]},
        "items": items,
    }


def _texts(
    analysis: PageAnalysis, granularity: Granularity
) -> Iterator[tuple[str, Box, str | None]]:
    for line in analysis.lines():
        if granularity is Granularity.LINE:
            yield line.text, line.bbox, line.language
        else:
            for word in line.words:
                yield word.text, word.bbox, line.language


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


def _annotation(
    annotation_id: str, canvas_id: str, box: Box, text: str, language: str | None
) -> dict[str, Any]:
    body: dict[str, Any] = {"type": "TextualBody", "value": text, "format": "text/plain"}
    if language:
        body["language"] = language
    return {
        "id": annotation_id,
        "type": "Annotation",
        "motivation": list(MOTIVATIONS),
        "body": body,
        "target": _fragment(canvas_id, box),
    }


def _fragment(canvas_id: str, box: Box) -> str:
    return f"{canvas_id}#xywh={box.x},{box.y},{box.width},{box.height}"
