"""Handle `manuscript.import_requested`: read the source, register its manuscript and pages.

A collection is walked here, whole (see `collection_walk`): every member it reaches is
recorded in the same transaction as the collection, with its own request and outcome, so the
limits on cycles, depth, documents and pages hold for the import as a whole. Those member
requests come back on the bus with their outcome already in their stream: left alone.
"""

from __future__ import annotations

from contracts import (
    IiifSource,
    ImageListSource,
    ManuscriptImported,
    ManuscriptImportFailed,
    ManuscriptImportRequested,
    UploadSource,
    manuscript_stream,
)
from contracts.errors import FetchError, ImportTooLarge, IngestError, RectoError
from infra.stage_guard import cancellation
from ingest.application.collection_walk import walk_collection
from ingest.application.manuscript_events import Emitted, failed, manifest_events
from ingest.application.pdf_uploads import PDF_MEDIA_TYPE, PdfCanvases, pdf_canvases
from ingest.application.ports import IngestPorts
from ingest.domain.document_keys import document_keys
from ingest.domain.manifest import Canvas, CanvasImage, Collection, Manifest
from ingest.formats.iiif.documents import parse_document


class JobWasCancelled(RectoError):
    code = "job-cancelled"


async def import_manuscript(event: ManuscriptImportRequested, ports: IngestPorts) -> Emitted:
    if await _settled(event, ports):
        return []
    if await cancellation(ports.events, event.job_id) is not None:
        return [failed(event, JobWasCancelled(f"job {event.job_id} was cancelled"))]
    source = event.source
    if isinstance(source, IiifSource):
        return await _import_iiif(event, str(source.url), ports)
    if isinstance(source, ImageListSource):
        canvases = tuple(
            Canvas(str(image.url), image.label, None, None, CanvasImage(str(image.url)))
            for image in source.images
        )
        return _single(event, Manifest("", 0, source.label, canvases), ports)
    if isinstance(source, UploadSource):
        return await _upload_events(event, source, ports)
    raise AssertionError(f"unknown source {source!r}")


async def _settled(event: ManuscriptImportRequested, ports: IngestPorts) -> bool:
    """Whether the manuscript's stream already holds the outcome of its latest request."""
    settled = False
    for recorded in await ports.events.read_stream(manuscript_stream(event.manuscript_id)):
        if isinstance(recorded.data, ManuscriptImportRequested):
            settled = False
        elif isinstance(recorded.data, ManuscriptImported | ManuscriptImportFailed):
            settled = True
    return settled


async def _import_iiif(event: ManuscriptImportRequested, url: str, ports: IngestPorts) -> Emitted:
    try:
        fetched = await ports.fetcher.get(url, max_bytes=ports.settings.max_manifest_bytes)
        document = parse_document(fetched.body)
    except (FetchError, IngestError) as error:
        return [failed(event, error)]
    if isinstance(document, Collection):
        keys = document_keys(url, fetched.url, document.id)
        return await walk_collection(event, document, keys, ports)
    return _single(event, document, ports)


def _single(event: ManuscriptImportRequested, manifest: Manifest, ports: IngestPorts) -> Emitted:
    try:
        return manifest_events(event, manifest, ports.settings.limits)
    except ImportTooLarge as error:
        return [failed(event, error)]


async def _upload_events(
    event: ManuscriptImportRequested, source: UploadSource, ports: IngestPorts
) -> Emitted:
    canvases: list[Canvas] = []
    pdfs = PdfCanvases()
    for index, file in enumerate(source.files):
        if file.artifact.media_type == PDF_MEDIA_TYPE:
            found = await pdf_canvases(index, file, ports)
            canvases += found.canvases
            pdfs.notes += found.notes
            pdfs.refusals += found.refusals
            continue
        canvases.append(
            Canvas(
                id=f"upload:{index}:{file.artifact.sha256}",
                label=file.label or file.filename,
                width=None,
                height=None,
                image=CanvasImage(None, media_type=file.artifact.media_type, upload=file.artifact),
            )
        )
    if len(pdfs.refusals) == 1 and not any(canvas.image for canvas in canvases):
        return [failed(event, pdfs.refusals[0])]
    notes = tuple(pdfs.notes)
    return _single(event, Manifest("", 0, source.label, tuple(canvases), notes=notes), ports)
