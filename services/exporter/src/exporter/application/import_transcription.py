"""`page.transcription_import_requested` -> the file read, fitted to the page -> a version.

The exporter owns the PAGE and ALTO readers, so it does the reading the gateway only
checked. The imported transcription becomes current like a correction: appended at the
version it was decided at (the revision records it), refused when the text changed after
the request was made (the editor imported against a text that is no longer there).
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial

import anyio

from contracts import (
    Metadata,
    PageAnalysis,
    PageTranscriptionImported,
    PageTranscriptionImportFailed,
    PageTranscriptionImportRequested,
    RecordedEvent,
    Revision,
    page_stream,
)
from contracts.editing import with_revision
from contracts.errors import RectoError, WrongExpectedVersion
from contracts.transcription import Transcription, fold_transcription
from exporter.application.export_edition import ATTEMPTS, PageKeptChanging
from exporter.domain.fitting import fit_to_page
from exporter.formats.alto_reader import read_alto
from exporter.formats.page_reader import read_page
from exporter.formats.xml_common import root_namespace
from infra.artifacts import ArtifactStore
from infra.eventstore import EventStore
from infra.messaging.consumer import Emitted


async def import_transcription(
    trigger: RecordedEvent, store: EventStore, artifacts: ArtifactStore
) -> Emitted:
    request = trigger.data
    assert isinstance(request, PageTranscriptionImportRequested)
    stream = page_stream(request.page_id)
    for _ in range(ATTEMPTS):
        state = fold_transcription(await store.read_stream(stream))
        known = state.imports.get(trigger.event_id)
        if known is not None and known.state != "pending":
            return []  # redelivered: already imported or refused
        if state.text_version > trigger.stream_version:
            return [(stream, _failed(trigger, "conflict", _changed(state, trigger)))]
        try:
            parsed, schema = await anyio.to_thread.run_sync(partial(_read, request, artifacts))
        except RectoError as error:
            return [(stream, _failed(trigger, error.code, str(error)))]
        width, height = _page_size(state, parsed)
        fitted, notes = fit_to_page(parsed, width, height)
        revision = Revision(
            kind="import",
            actor=request.actor,
            at=datetime.now(UTC),
            version=state.stream_version + 1,
            reason=request.reason,
            summary=f"{request.source_format.upper()} file {request.filename or ''}".strip(),
        )
        imported = with_revision(
            fitted.model_copy(update={"page_id": str(request.page_id)}), revision
        )
        ref = await anyio.to_thread.run_sync(
            artifacts.put, imported.model_dump_json().encode(), PageAnalysis.media_type
        )
        event = PageTranscriptionImported(
            page_id=request.page_id,
            request_id=trigger.event_id,
            against_version=request.against_version,
            actor=request.actor,
            source_format=request.source_format,
            source_schema=schema,
            source=request.source,
            filename=request.filename,
            analysis=ref,
            notes=notes,
        )
        metadata = Metadata(causation_id=trigger.event_id, actor=request.actor)
        try:
            await store.append(
                stream, [event], expected_version=state.stream_version, metadata=metadata
            )
        except WrongExpectedVersion:
            continue
        return []
    raise PageKeptChanging(f"page {request.page_id} changed on every one of {ATTEMPTS} tries")


def _read(
    request: PageTranscriptionImportRequested, artifacts: ArtifactStore
) -> tuple[PageAnalysis, str]:
    """The file as a `PageAnalysis`, and the namespace it was written in."""
    content = artifacts.get(request.source)
    analysis = read_page(content) if request.source_format == "page" else read_alto(content)
    return analysis, root_namespace(content)


def _page_size(state: Transcription, parsed: PageAnalysis) -> tuple[int, int]:
    """The master image's pixels when ingest recorded them, else the file's own."""
    if state.master is not None:
        return state.master.width, state.master.height
    return parsed.image.width, parsed.image.height


def _changed(state: Transcription, trigger: RecordedEvent) -> str:
    return (
        f"the transcription changed at version {state.text_version}, after the import was "
        f"requested at version {trigger.stream_version}; import the file again"
    )


def _failed(trigger: RecordedEvent, code: str, reason: str) -> PageTranscriptionImportFailed:
    request = trigger.data
    assert isinstance(request, PageTranscriptionImportRequested)
    return PageTranscriptionImportFailed(
        page_id=request.page_id, request_id=trigger.event_id, code=code, reason=reason
    )
