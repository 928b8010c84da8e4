"""Any change to a page's transcription or status -> every export of the current one.

The page's stream is folded into its current transcription (a newer machine result after a
correction stays a candidate, so a re-analysis exports the corrected text). `page.exported`
is appended at the stream version that was folded: an export therefore always reflects
everything before it in the stream, and when anything was appended meanwhile the export is
decided again, so the latest `page.exported` is always the current transcription's — whatever
order replicas handle the events in.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from uuid import UUID

from contracts import (
    Metadata,
    PageAnalyzed,
    PageExported,
    PageExportFailed,
    PageStageRerequested,
    RecordedEvent,
    page_stream,
)
from contracts.errors import RectoError, WrongExpectedVersion
from contracts.transcription import Transcription, fold_transcription
from exporter.application.export_page import read_analysis, render_formats
from exporter.application.ports import ExportPorts
from exporter.domain.formats import PageFormat
from infra.eventstore import EventStore
from infra.messaging.consumer import Emitted

ALL_PAGE_FORMATS = tuple(fmt.value for fmt in PageFormat)
EDITION_EVENTS = (
    "page.corrected",
    "page.status_changed",
    "page.candidate_adopted",
    "page.transcription_imported",
)
# Machine results and re-runs of the export stage belong to a job, which counts on their export.
JOB_TRIGGERS = (PageAnalyzed, PageStageRerequested)
ATTEMPTS = 8
log = logging.getLogger(__name__)

JobFormats = Callable[[UUID | None], Awaitable[Sequence[str]]]


class PageKeptChanging(RectoError):
    code = "page-kept-changing"
    retryable = True


@dataclass(frozen=True)
class EditionPorts:
    store: EventStore
    pages: ExportPorts
    job_formats: JobFormats
    actor: str = "exporter-pages"


async def export_current_transcription(trigger: RecordedEvent, ports: EditionPorts) -> Emitted:
    """Append `page.exported` itself (at a version) and return only failures to record."""
    page_id = getattr(trigger.data, "page_id", None)
    if not isinstance(page_id, UUID):
        return []
    stream = page_stream(page_id)
    for _ in range(ATTEMPTS):
        events = await ports.store.read_stream(stream)
        state = fold_transcription(events)
        if state.current is None or _already_exported(events, state, trigger):
            return []
        job_id = trigger.data.job_id if isinstance(trigger.data, JOB_TRIGGERS) else None
        formats = await _formats(trigger, state, ports)
        try:
            analysis = await read_analysis(ports.pages, state.current)
        except RectoError as error:
            return [(stream, _failed(page_id, job_id, "analysis", error.code, str(error)))]
        rendered = await render_formats(
            analysis,
            formats,
            page_id=page_id,
            ports=ports.pages,
            registered=state.registered,
            status=state.status.value,
        )
        if rendered.failures:
            return [(stream, _failed(page_id, job_id, *f)) for f in rendered.failures]
        exported = PageExported(
            page_id=page_id, job_id=job_id, analysis=state.current, formats=rendered.formats
        )
        metadata = Metadata(
            correlation_id=trigger.correlation_id,
            causation_id=trigger.event_id,
            actor=ports.actor,
            trace=trigger.metadata.trace,
        )
        try:
            await ports.store.append(
                stream, [exported], expected_version=state.stream_version, metadata=metadata
            )
        except WrongExpectedVersion:
            continue
        return []
    raise PageKeptChanging(f"page {page_id} changed on every one of {ATTEMPTS} exports")


def _already_exported(
    events: Sequence[RecordedEvent], state: Transcription, trigger: RecordedEvent
) -> bool:
    """A redelivered trigger finds its own export; an edit finds a later export that already
    reflects it. A job's trigger always gets an export of its own: its job counts on it."""
    if any(isinstance(e.data, PageExported) and e.causation_id == trigger.event_id for e in events):
        return True
    if isinstance(trigger.data, JOB_TRIGGERS):
        return False
    last = state.last_export
    return last is not None and last.stream_version > state.edition_version


async def _formats(
    trigger: RecordedEvent, state: Transcription, ports: EditionPorts
) -> Sequence[str]:
    """A job's plan for its own trigger; for an edit, what the page was last exported as."""
    if isinstance(trigger.data, JOB_TRIGGERS):
        return await ports.job_formats(trigger.data.job_id)
    last = state.last_export
    if last is not None and isinstance(last.data, PageExported) and last.data.formats:
        return list(last.data.formats)
    return ALL_PAGE_FORMATS


def _failed(
    page_id: UUID, job_id: UUID | None, fmt: str, code: str, reason: str
) -> PageExportFailed:
    return PageExportFailed(page_id=page_id, job_id=job_id, format=fmt, code=code, reason=reason)
