"""What ingest listens to on the bus, and what it records when a message keeps failing."""

from __future__ import annotations

from contracts import (
    ManuscriptImportFailed,
    ManuscriptImportRequested,
    PageIngestFailed,
    PageRegistered,
    PageStageRerequested,
    RecordedEvent,
    manuscript_stream,
    page_stream,
)
from infra.messaging.consumer import Emitted, Subscription
from ingest.application.import_manuscript import import_manuscript
from ingest.application.normalise_page_image import normalise_page_image, rerun_page_ingest
from ingest.application.ports import IngestPorts


def ingest_subscriptions(
    ports: IngestPorts, *, max_deliver: int, ack_wait: float
) -> list[Subscription]:
    async def on_import_requested(event: RecordedEvent) -> Emitted:
        assert isinstance(event.data, ManuscriptImportRequested)
        return await import_manuscript(event.data, ports)

    async def import_gave_up(event: RecordedEvent, error: BaseException, attempts: int) -> Emitted:
        assert isinstance(event.data, ManuscriptImportRequested)
        failed = ManuscriptImportFailed(
            manuscript_id=event.data.manuscript_id,
            code=getattr(error, "code", "internal-error"),
            reason=f"gave up after {attempts} attempts: {error}",
        )
        return [(manuscript_stream(event.data.manuscript_id), failed)]

    async def on_page_registered(event: RecordedEvent) -> Emitted:
        assert isinstance(event.data, PageRegistered)
        return await normalise_page_image(event.data, ports)

    async def normalise_gave_up(
        event: RecordedEvent, error: BaseException, attempts: int
    ) -> Emitted:
        assert isinstance(event.data, PageRegistered)
        failed = PageIngestFailed(
            page_id=event.data.page_id,
            job_id=event.data.job_id,
            step="normalise",
            code=getattr(error, "code", "internal-error"),
            reason=f"gave up after {attempts} attempts: {error}",
        )
        return [(page_stream(event.data.page_id), failed)]

    async def on_stage_rerequested(event: RecordedEvent) -> Emitted:
        return await rerun_page_ingest(event, ports)

    async def rerun_gave_up(event: RecordedEvent, error: BaseException, attempts: int) -> Emitted:
        assert isinstance(event.data, PageStageRerequested)
        if event.data.stage != "ingest":
            return []
        failed = PageIngestFailed(
            page_id=event.data.page_id,
            job_id=event.data.job_id,
            step="normalise",
            code=getattr(error, "code", "internal-error"),
            reason=f"gave up after {attempts} attempts: {error}",
        )
        return [(page_stream(event.data.page_id), failed)]

    return [
        Subscription(
            "ingest-imports",
            ["manuscript.import_requested"],
            on_import_requested,
            import_gave_up,
            max_deliver=max_deliver,
            ack_wait=ack_wait,
        ),
        Subscription(
            "ingest-pages",
            ["page.registered"],
            on_page_registered,
            normalise_gave_up,
            max_deliver=max_deliver,
            ack_wait=ack_wait,
            batch_size=4,
        ),
        # A consumer of its own: the other stages' re-requests are acknowledged and left alone.
        Subscription(
            "ingest-reruns",
            ["page.stage_rerequested"],
            on_stage_rerequested,
            rerun_gave_up,
            max_deliver=max_deliver,
            ack_wait=ack_wait,
        ),
    ]
