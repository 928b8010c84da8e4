"""What the exporter listens to on the bus, and what it records when a page keeps failing.

A page of a cancelled job, looked up in the event store first, gets `page.stage_skipped`
instead of its exports.
"""

from __future__ import annotations

import logging

from contracts import (
    PageAnalyzed,
    PageExportFailed,
    PageStageRerequested,
    PageTranscriptionImportRequested,
    RecordedEvent,
    page_stream,
)
from contracts.errors import ExportError, failure_reason
from contracts.transcription import fold_transcription
from exporter.adapters.event_history import StoredPlans
from exporter.application.export_edition import (
    EDITION_EVENTS,
    EditionPorts,
    export_current_transcription,
)
from exporter.application.final_failures import (
    record_export_failure,
    record_transcription_import_failure,
)
from exporter.application.import_transcription import import_transcription
from exporter.application.ports import ExportPorts
from infra.messaging.consumer import Emitted, Subscription
from infra.stage_guard import cancellation, rerun_outdated, skipped

log = logging.getLogger(__name__)


def exporter_subscriptions(
    ports: ExportPorts,
    plans: StoredPlans,
    *,
    max_deliver: int,
    ack_wait: float,
) -> list[Subscription]:
    """Machine results (`exporter-pages`), human edits (`exporter-editions`), imports
    (`exporter-imports`) and re-runs (`exporter-reruns`): durable consumers of their own, so
    adding the later ones never changed what an existing deployment's first consumer filters."""
    events = plans.store
    editions = EditionPorts(events, ports, plans.page_formats)

    async def export_analysis(event: RecordedEvent) -> Emitted:
        analyzed = event.data
        assert isinstance(analyzed, PageAnalyzed)
        if (cancelled := await cancellation(events, analyzed.job_id)) is not None:
            return [skipped(analyzed.page_id, analyzed.job_id, "export", cancelled)]
        return await export_current_transcription(event, editions)

    async def export_edition(event: RecordedEvent) -> Emitted:
        return await export_current_transcription(event, editions)

    async def export_gave_up(event: RecordedEvent, error: BaseException, attempts: int) -> Emitted:
        page_id = getattr(event.data, "page_id")  # noqa: B009  # every subscribed type has one
        job_id = getattr(event.data, "job_id", None)
        formats = ",".join(await plans.page_formats(job_id))
        return record_export_failure(page_id, job_id, formats, failure_reason(error, attempts))

    async def on_rerequest(event: RecordedEvent) -> Emitted:
        rerequest = event.data
        assert isinstance(rerequest, PageStageRerequested)
        if rerequest.stage != "export":
            return []
        if (outdated := await rerun_outdated(events, event)) is not None:
            log.info("export re-request of page %s left alone: %s", rerequest.page_id, outdated)
            return []
        if (cancelled := await cancellation(events, rerequest.job_id)) is not None:
            return [skipped(rerequest.page_id, rerequest.job_id, "export", cancelled)]
        stream = page_stream(rerequest.page_id)
        if fold_transcription(await events.read_stream(stream)).current is None:
            failed = PageExportFailed(
                page_id=rerequest.page_id,
                job_id=rerequest.job_id,
                format="all",
                code=ExportError.code,
                reason="the page has no analysis to export",
            )
            return [(stream, failed)]
        return await export_current_transcription(event, editions)

    async def rerun_gave_up(event: RecordedEvent, error: BaseException, attempts: int) -> Emitted:
        rerequest = event.data
        assert isinstance(rerequest, PageStageRerequested)
        if rerequest.stage != "export":
            return []
        failure = failure_reason(error, attempts)
        return record_export_failure(rerequest.page_id, rerequest.job_id, "all", failure)

    async def import_file(event: RecordedEvent) -> Emitted:
        return await import_transcription(event, editions.store, ports.artifacts)

    async def import_gave_up(event: RecordedEvent, error: BaseException, attempts: int) -> Emitted:
        assert isinstance(event.data, PageTranscriptionImportRequested)
        failure = failure_reason(error, attempts)
        return record_transcription_import_failure(event.data, event.event_id, failure)

    return [
        Subscription(
            "exporter-pages",
            ["page.analyzed"],
            export_analysis,
            export_gave_up,
            max_deliver=max_deliver,
            ack_wait=ack_wait,
            batch_size=4,
        ),
        Subscription(
            "exporter-editions",
            list(EDITION_EVENTS),
            export_edition,
            export_gave_up,
            max_deliver=max_deliver,
            ack_wait=ack_wait,
            batch_size=4,
        ),
        Subscription(
            "exporter-imports",
            [PageTranscriptionImportRequested.type],
            import_file,
            import_gave_up,
            max_deliver=max_deliver,
            ack_wait=ack_wait,
        ),
        # The other stages' re-requests are acknowledged and left alone.
        Subscription(
            "exporter-reruns",
            ["page.stage_rerequested"],
            on_rerequest,
            rerun_gave_up,
            max_deliver=max_deliver,
            ack_wait=ack_wait,
        ),
    ]
