"""Turning an understood source into the events that register a manuscript and its pages."""

from __future__ import annotations

from contracts import (
    ManuscriptImported,
    ManuscriptImportRequested,
    PageRegistered,
)
from ingest.domain.manifest import Canvas, Manifest
from ingest.domain.page_ids import page_id


def manuscript_imported(
    request: ManuscriptImportRequested, manifest: Manifest
) -> ManuscriptImported:
    return ManuscriptImported(
        manuscript_id=request.manuscript_id,
        corpus_id=request.corpus_id,
        label=manifest.label,
        manifest_id=manifest.id or None,
        iiif_version=manifest.iiif_version or None,
        page_count=len(manifest.image_canvases),
        viewing_direction=manifest.viewing_direction,
        metadata=list(manifest.metadata),
        rights=manifest.rights,
        required_statement=manifest.required_statement,
        provider=manifest.provider,
        see_also=list(manifest.see_also),
        structure=list(manifest.structure),
        skipped=manifest.skipped,
        notes=[*manifest.notes, *_alternative_notes(manifest)],
    )


def _alternative_notes(manifest: Manifest) -> list[str]:
    """Choice and composite canvases: say which painted images were not imported."""
    notes = []
    for canvas in manifest.image_canvases:
        others = canvas.image.alternatives if canvas.image else ()
        if others:
            notes.append(
                f"canvas {canvas.id}: imported the default image; "
                f"{len(others)} alternative(s) kept aside: {'; '.join(others)}"
            )
    return notes


def register_canvases(
    request: ManuscriptImportRequested, canvases: list[tuple[int, Canvas]]
) -> list[PageRegistered]:
    """One `page.registered` per image canvas; `index` counts image canvases from 0."""
    pages = []
    for index, canvas in canvases:
        image = canvas.image
        assert image is not None, "only image canvases are registered"
        service = image.service
        pages.append(
            PageRegistered(
                page_id=page_id(request.manuscript_id, canvas.id, index),
                manuscript_id=request.manuscript_id,
                corpus_id=request.corpus_id,
                job_id=request.job_id,
                index=index,
                label=canvas.label,
                canvas_id=canvas.id,
                canvas_width=canvas.width,
                canvas_height=canvas.height,
                canvas_resolution=canvas.ppi,
                image_url=image.url,
                image_service=service.id if service else None,
                image_service_version=service.version if service else None,
                image_service_profile=service.profile if service else None,
                upload=image.upload,
                upload_page=image.upload_page,
            )
        )
    return pages


def refusal_reason(manifest: Manifest) -> str | None:
    """Why a manifest cannot be imported, or None when it has at least one image canvas."""
    if manifest.image_canvases:
        return None
    if not manifest.canvases:
        return "the manifest has no canvases (no sequences/items)"
    reasons = sorted({c.skip_reason or "no image" for c in manifest.canvases})
    return f"none of its {len(manifest.canvases)} canvases paints an image: {'; '.join(reasons)}"
