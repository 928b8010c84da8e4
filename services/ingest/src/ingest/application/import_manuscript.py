"""Handle `manuscript.import_requested`: read the source, register its manuscript and pages."""

from __future__ import annotations

from pydantic import ValidationError

from contracts import (
    Event,
    IiifSource,
    ImageListSource,
    ManuscriptImported,
    ManuscriptImportFailed,
    ManuscriptImportRequested,
    UploadSource,
    manuscript_stream,
    page_stream,
)
from contracts.errors import FetchError, IngestError, ManifestWithoutImages
from ingest.adapters.iiif.documents import parse_document
from ingest.application.pdf_uploads import PDF_MEDIA_TYPE, PdfCanvases, pdf_canvases
from ingest.application.ports import IngestPorts
from ingest.domain.manifest import Canvas, CanvasImage, Collection, Manifest
from ingest.domain.page_ids import member_manuscript_id
from ingest.domain.registration import manuscript_imported, refusal_reason, register_canvases

Emitted = list[tuple[str, Event]]


async def import_manuscript(event: ManuscriptImportRequested, ports: IngestPorts) -> Emitted:
    source = event.source
    if isinstance(source, IiifSource):
        return await _import_iiif(event, str(source.url), ports)
    if isinstance(source, ImageListSource):
        canvases = tuple(
            Canvas(str(image.url), image.label, None, None, CanvasImage(str(image.url)))
            for image in source.images
        )
        return _manifest_events(event, Manifest("", 0, source.label, canvases))
    if isinstance(source, UploadSource):
        return await _upload_events(event, source, ports)
    raise AssertionError(f"unknown source {source!r}")


async def _import_iiif(event: ManuscriptImportRequested, url: str, ports: IngestPorts) -> Emitted:
    try:
        fetched = await ports.fetcher.get(url, max_bytes=ports.settings.max_manifest_bytes)
        document = parse_document(fetched.body)
    except (FetchError, IngestError) as error:
        return [_failed(event, error)]
    if isinstance(document, Collection):
        return _collection_events(event, document)
    return _manifest_events(event, document)


def _manifest_events(event: ManuscriptImportRequested, manifest: Manifest) -> Emitted:
    if (reason := refusal_reason(manifest)) is not None:
        return [_failed(event, ManifestWithoutImages(reason))]
    pages = register_canvases(event, list(enumerate(manifest.image_canvases)))
    stream = manuscript_stream(event.manuscript_id)
    return [
        (stream, manuscript_imported(event, manifest)),
        *((page_stream(page.page_id), page) for page in pages),
    ]


def _collection_events(event: ManuscriptImportRequested, collection: Collection) -> Emitted:
    if not collection.members:
        return [_failed(event, ManifestWithoutImages("the collection has no members"))]
    requests, unusable = [], []
    # A watched collection is watched through its members, each with the same interval.
    watch = event.source.watch_interval_seconds if isinstance(event.source, IiifSource) else None
    for member in collection.members:
        try:
            source = IiifSource.model_validate({"url": member.url, "watch_interval_seconds": watch})
        except ValidationError:
            unusable.append(member.url)
            continue
        requests.append(
            ManuscriptImportRequested(
                manuscript_id=member_manuscript_id(event.manuscript_id, member.url),
                corpus_id=event.corpus_id,
                job_id=event.job_id,
                source=source,
            )
        )
    kinds = {m.kind for m in collection.members}
    imported = ManuscriptImported(
        manuscript_id=event.manuscript_id,
        corpus_id=event.corpus_id,
        label=collection.label,
        manifest_id=collection.id or None,
        iiif_version=collection.iiif_version,
        page_count=0,
        metadata=list(collection.metadata),
        structure=list(collection.structure),
        members=[m.url for m in collection.members if m.url not in unusable],
        notes=[
            f"collection of {len(requests)} members ({', '.join(sorted(kinds))})",
            *(f"member skipped, not an http(s) URL: {url}" for url in unusable),
        ],
    )
    return [
        (manuscript_stream(event.manuscript_id), imported),
        *((manuscript_stream(r.manuscript_id), r) for r in requests),
    ]


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
        return [_failed(event, pdfs.refusals[0])]
    notes = tuple(pdfs.notes)
    return _manifest_events(event, Manifest("", 0, source.label, tuple(canvases), notes=notes))


def _failed(event: ManuscriptImportRequested, error: FetchError | IngestError) -> tuple[str, Event]:
    return manuscript_stream(event.manuscript_id), ManuscriptImportFailed(
        manuscript_id=event.manuscript_id,
        code=error.code,
        reason=str(error),
        retryable=error.retryable,
    )
