"""What the exporter listens to on the bus, and what it records when a page keeps failing."""

from __future__ import annotations

from contracts import (
    PageExportFailed,
    PageTranscriptionImportFailed,
    PageTranscriptionImportRequested,
    RecordedEvent,
    page_stream,
)
from exporter.adapters.event_history import StoredPlans
from exporter.application.export_edition import (
    EDITION_EVENTS,
    EditionPorts,
    export_current_transcription,
)
from exporter.application.import_transcription import import_transcription
from exporter.application.ports import ExportPorts
from infra.messaging.consumer import Emitted, Subscription


def exporter_subscriptions(
    ports: ExportPorts,
    plans: StoredPlans,
    *,
    max_deliver: int,
    ack_wait: float,
) -> list[Subscription]:
    """Machine results (`exporter-pages`), human edits (`exporter-editions`) and imports
    (`exporter-imports`): three durable consumers, so adding the later ones never changed
    what an existing deployment's first consumer filters."""
    editions = EditionPorts(plans.store, ports, plans.page_formats)

    async def export_current(event: RecordedEvent) -> Emitted:
        return await export_current_transcription(event, editions)

    async def export_gave_up(event: RecordedEvent, error: BaseException, attempts: int) -> Emitted:
        page_id = getattr(event.data, "page_id")  # noqa: B009  # every subscribed type has one
        job_id = getattr(event.data, "job_id", None)
        formats = await plans.page_formats(job_id)
        failed = PageExportFailed(
            page_id=page_id,
            job_id=job_id,
            format=",".join(formats),
            code=getattr(error, "code", "internal-error"),
            reason=f"gave up after {attempts} attempts: {error}",
        )
        return [(page_stream(page_id), failed)]

    async def import_file(event: RecordedEvent) -> Emitted:
        return await import_transcription(event, editions.store, ports.artifacts)

    async def import_gave_up(event: RecordedEvent, error: BaseException, attempts: int) -> Emitted:
        assert isinstance(event.data, PageTranscriptionImportRequested)
        failed = PageTranscriptionImportFailed(
            page_id=event.data.page_id,
            request_id=event.event_id,
            code=getattr(error, "code", "internal-error"),
            reason=f"gave up after {attempts} attempts: {error}",
        )
        return [(page_stream(event.data.page_id), failed)]

    return [
        Subscription(
            "exporter-pages",
            ["page.analyzed"],
            export_current,
            export_gave_up,
            max_deliver=max_deliver,
            ack_wait=ack_wait,
            batch_size=4,
        ),
        Subscription(
            "exporter-editions",
            list(EDITION_EVENTS),
            export_current,
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
    ]
