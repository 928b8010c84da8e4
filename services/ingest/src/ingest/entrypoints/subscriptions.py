"""What ingest listens to on the bus, and what it records when a message keeps failing."""

from __future__ import annotations

from contracts import (
    ManuscriptImportRequested,
    PageRegistered,
    PageStageRerequested,
    RecordedEvent,
)
from contracts.errors import failure_reason
from infra.messaging.consumer import Emitted, Subscription
from ingest.application.final_failures import record_import_failure, record_ingest_failure
from ingest.application.import_manuscript import import_manuscript
from ingest.application.normalize_page_image import normalize_page_image, rerun_page_ingest
from ingest.application.ports import IngestPorts


def ingest_subscriptions(
    ports: IngestPorts, *, max_deliver: int, ack_wait: float
) -> list[Subscription]:
    async def on_import_requested(event: RecordedEvent) -> Emitted:
        assert isinstance(event.data, ManuscriptImportRequested)
        return await import_manuscript(event.data, ports)

    async def import_gave_up(event: RecordedEvent, error: BaseException, attempts: int) -> Emitted:
        assert isinstance(event.data, ManuscriptImportRequested)
        return record_import_failure(event.data, failure_reason(error, attempts))

    async def on_page_registered(event: RecordedEvent) -> Emitted:
        assert isinstance(event.data, PageRegistered)
        return await normalize_page_image(event.data, ports)

    async def normalize_gave_up(
        event: RecordedEvent, error: BaseException, attempts: int
    ) -> Emitted:
        assert isinstance(event.data, PageRegistered)
        failure = failure_reason(error, attempts)
        return record_ingest_failure(event.data.page_id, event.data.job_id, failure)

    async def on_stage_rerequested(event: RecordedEvent) -> Emitted:
        return await rerun_page_ingest(event, ports)

    async def rerun_gave_up(event: RecordedEvent, error: BaseException, attempts: int) -> Emitted:
        assert isinstance(event.data, PageStageRerequested)
        if event.data.stage != "ingest":
            return []
        failure = failure_reason(error, attempts)
        return record_ingest_failure(event.data.page_id, event.data.job_id, failure)

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
            normalize_gave_up,
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
