"""The events that record one manuscript's import: imported with its pages, or failed."""

from __future__ import annotations

from contracts import (
    Event,
    ManuscriptImportFailed,
    ManuscriptImportRequested,
    manuscript_stream,
    page_stream,
)
from contracts.errors import ImportTooLarge, ManifestWithoutImages, RectoError
from ingest.application.ports import ImportLimits
from ingest.domain.manifest import Manifest
from ingest.domain.registration import manuscript_imported, refusal_reason, register_canvases

Emitted = list[tuple[str, Event]]


def manifest_events(
    event: ManuscriptImportRequested,
    manifest: Manifest,
    limits: ImportLimits,
    pages_before: int = 0,
) -> Emitted:
    """The manuscript imported and its pages registered, or its failure when it has no image.

    Raises `ImportTooLarge` when its pages would take the import past `limits.max_pages`.
    """
    if (reason := refusal_reason(manifest)) is not None:
        return [failed(event, ManifestWithoutImages(reason))]
    count = len(manifest.image_canvases)
    if pages_before + count > limits.max_pages:
        so_far = f" after {pages_before} already registered" if pages_before else ""
        raise ImportTooLarge(
            f"import too large: {manifest.id or 'the source'} has {count} pages{so_far}; "
            f"one import may register at most {limits.max_pages} "
            "(RECTO_IMPORT_MAX_PAGES)"
        )
    pages = register_canvases(event, list(enumerate(manifest.image_canvases)))
    stream = manuscript_stream(event.manuscript_id)
    return [
        (stream, manuscript_imported(event, manifest)),
        *((page_stream(page.page_id), page) for page in pages),
    ]


def failed(event: ManuscriptImportRequested, error: RectoError) -> tuple[str, Event]:
    return manuscript_stream(event.manuscript_id), ManuscriptImportFailed(
        manuscript_id=event.manuscript_id,
        code=error.code,
        reason=str(error),
        retryable=error.retryable,
    )
