"""A IIIF Presentation 3 manifest for a manuscript, built from plain data (no I/O)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from contracts import MetadataEntry, Range, SeeAlso
from exporter.domain.formats import METS_MEDIA_TYPE, PageFormat
from exporter.domain.iiif_annotations import (
    PRESENTATION_3,
    TEXT_GRANULARITY,
    Granularity,
    page_annotations,
    stage_annotation_page,
)
from exporter.domain.iiif_services import image_body, thumbnail
from exporter.domain.manuscript import Manuscript, ManuscriptPage
from exporter.domain.stages import StageText, stage_texts
from exporter.domain.urls import GatewayUrls
from exporter.domain.xmltext import TextCleaner

_DIRECTIONS = {"left-to-right", "right-to-left", "top-to-bottom", "bottom-to-top"}


def iiif_manifest(
    manuscript: Manuscript,
    urls: GatewayUrls,
    *,
    embed_annotations: bool = False,
    cleaner: TextCleaner | None = None,
) -> dict[str, Any]:
    """Canvases in page order; pages with no known size cannot be canvases and are left out."""
    clean = cleaner if cleaner is not None else TextCleaner()
    imported = manuscript.imported
    canvases = [
        _canvas(page, urls, embed_annotations, clean)
        for page in manuscript.ordered_pages()
        if page.canvas_size() is not None
    ]
    manifest: dict[str, Any] = {
        # Embedded annotations carry `textGranularity`, whose term this context defines.
        "@context": [TEXT_GRANULARITY, PRESENTATION_3] if embed_annotations else PRESENTATION_3,
        "id": urls.manifest(imported.manuscript_id),
        "type": "Manifest",
        "label": _language_map(clean(imported.label or str(imported.manuscript_id))),
    }
    if imported.metadata:
        manifest["metadata"] = [_entry(entry, clean) for entry in imported.metadata]
    if imported.required_statement is not None:
        manifest["requiredStatement"] = _entry(imported.required_statement, clean)
    if imported.rights and imported.rights.startswith(("http://", "https://")):
        manifest["rights"] = imported.rights
    if imported.viewing_direction in _DIRECTIONS:
        manifest["viewingDirection"] = imported.viewing_direction
    manifest["seeAlso"] = [
        {
            "id": urls.mets(imported.manuscript_id),
            "type": "Dataset",
            "format": METS_MEDIA_TYPE,
            "profile": "http://www.loc.gov/METS/",
        },
        *(_source_see_also(link, clean) for link in imported.see_also),
    ]
    manifest["service"] = search_services(imported.manuscript_id, urls)
    manifest["items"] = canvases
    known = {canvas["id"] for canvas in canvases}
    ranges = [r for r in (_range(item, known, clean) for item in imported.structure) if r]
    if ranges:
        manifest["structures"] = ranges
    return manifest


def _source_see_also(link: SeeAlso, clean: TextCleaner) -> dict[str, Any]:
    """The source manifest's own `seeAlso` (a catalogue record), kept with its description."""
    entry: dict[str, Any] = {"id": link.id, "type": link.type or "Dataset"}
    if link.label:
        entry["label"] = _language_map(clean(link.label))
    if link.format:
        entry["format"] = link.format
    if link.profile:
        entry["profile"] = link.profile
    return entry


def search_services(manuscript_id: UUID, urls: GatewayUrls) -> list[dict[str, Any]]:
    """The gateway's Content Search within this manuscript: 2.0 first, then 1.0 for viewers that
    read only 1.0 (Mirador 4 finds services by their 1.0 `profile`)."""
    return [
        {
            "id": urls.search(manuscript_id),
            "type": "SearchService2",
            "service": [{"id": urls.autocomplete(manuscript_id), "type": "AutoCompleteService2"}],
        },
        {
            "@id": urls.search(manuscript_id, version=1),
            "@type": "SearchService1",
            "profile": "http://iiif.io/api/search/1/search",
            "service": [
                {
                    "@id": urls.autocomplete(manuscript_id, version=1),
                    "@type": "AutoCompleteService1",
                    "profile": "http://iiif.io/api/search/1/autocomplete",
                }
            ],
        },
    ]


def _language_map(text: str) -> dict[str, list[str]]:
    return {"none": [text]}


def _entry(entry: MetadataEntry, clean: TextCleaner) -> dict[str, Any]:
    return {"label": _language_map(clean(entry.label)), "value": _language_map(clean(entry.value))}


def _canvas(
    page: ManuscriptPage, urls: GatewayUrls, embed: bool, clean: TextCleaner
) -> dict[str, Any]:
    width, height = page.canvas_size() or (1, 1)
    canvas_id, page_id = page.canvas_id(urls), page.registered.page_id
    canvas: dict[str, Any] = {
        "id": canvas_id,
        "type": "Canvas",
        "label": _language_map(clean(page.label)),
        "width": width,
        "height": height,
    }
    local = urls.local_image(page_id)
    if local is None and (thumb := thumbnail(page, urls)) is not None:
        canvas["thumbnail"] = [thumb]
    body = _local_image(local, page) if local is not None else image_body(page)
    if body is not None:
        painting = f"{urls.canvas(page_id)}/painting"
        canvas["items"] = [
            {
                "id": painting,
                "type": "AnnotationPage",
                "items": [
                    {
                        "id": f"{painting}/image",
                        "type": "Annotation",
                        "motivation": "painting",
                        "body": body,
                        "target": canvas_id,
                    }
                ],
            }
        ]
    if page.analysis is not None:
        canvas["annotations"] = [
            _annotations(page, urls, granularity, embed, clean)
            for granularity in Granularity
            if page.has_format(granularity.page_format)
        ] + [
            _stage_annotations(page, urls, stage, embed, clean)
            for stage in stage_texts(page.analysis)
            if page.has_stage(PageFormat.ANNOTATIONS, stage.slug)
        ]
        canvas["seeAlso"] = [
            _see_also(
                urls.page(page_id, PageFormat.ALTO),
                PageFormat.ALTO,
                "http://www.loc.gov/standards/alto/v4/alto-4-4.xsd",
            ),
            _see_also(
                urls.page(page_id, PageFormat.PAGE),
                PageFormat.PAGE,
                "http://schema.primaresearch.org/PAGE/gts/pagecontent/2019-07-15",
            ),
        ]
    return canvas


def _annotations(
    page: ManuscriptPage,
    urls: GatewayUrls,
    granularity: Granularity,
    embed: bool,
    clean: TextCleaner,
) -> dict[str, Any]:
    """The transcription at one granularity: embedded, or referenced for the viewer to fetch."""
    if embed:
        embedded = page_annotations(page, urls, clean, granularity)
        embedded.pop("@context")
        return embedded
    return {
        "id": urls.page(page.registered.page_id, granularity.page_format),
        "type": "AnnotationPage",
        "label": _language_map(f"Transcription, {granularity.value} by {granularity.value}"),
    }


def _stage_annotations(
    page: ManuscriptPage, urls: GatewayUrls, stage: StageText, embed: bool, clean: TextCleaner
) -> dict[str, Any]:
    """A stage output's page: embedded, or referenced with its label."""
    assert page.analysis is not None
    page_id = page.registered.page_id
    if embed:
        embedded = stage_annotation_page(
            page.analysis,
            stage,
            page_id=page_id,
            canvas_id=page.canvas_id(urls),
            canvas_size=page.canvas_size(),
            urls=urls,
            cleaner=clean,
        )
        embedded.pop("@context")
        return embedded
    return {
        "id": urls.stage(page_id, PageFormat.ANNOTATIONS, stage.slug),
        "type": "AnnotationPage",
        "label": _language_map(stage.label),
    }


def _local_image(local: tuple[str, str], page: ManuscriptPage) -> dict[str, Any]:
    path, media_type = local
    body: dict[str, Any] = {"id": path, "type": "Image", "format": media_type}
    if (size := page.image_size()) is not None:
        body["width"], body["height"] = size
    return body


def _see_also(url: str, fmt: PageFormat, profile: str) -> dict[str, Any]:
    return {"id": url, "type": "Dataset", "format": fmt.media_type, "profile": profile}


def _range(item: Range, known: set[str], clean: TextCleaner) -> dict[str, Any] | None:
    """A Range keeps only canvases that made it into the manifest; empty ranges go."""
    members: list[dict[str, Any]] = [
        {"id": canvas, "type": "Canvas"} for canvas in item.canvases if canvas in known
    ]
    members += [r for r in (_range(child, known, clean) for child in item.ranges) if r]
    if not members:
        return None
    result: dict[str, Any] = {"id": item.id, "type": "Range"}
    if item.label:
        result["label"] = _language_map(clean(item.label))
    result["items"] = members
    return result
