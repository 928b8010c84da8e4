"""What the exporter listens to on the bus, and what it records when a page keeps failing."""

from __future__ import annotations

from contracts import PageAnalyzed, PageExportFailed, RecordedEvent, page_stream
from exporter.adapters.event_history import StoredPlans
from exporter.application.export_page import export_page
from exporter.application.ports import ExportPorts
from infra.messaging.consumer import Emitted, Subscription


def exporter_subscriptions(
    ports: ExportPorts, plans: StoredPlans, *, max_deliver: int, ack_wait: float
) -> list[Subscription]:
    async def on_page_analyzed(event: RecordedEvent) -> Emitted:
        assert isinstance(event.data, PageAnalyzed)
        formats = await plans.page_formats(event.data.job_id)
        return await export_page(event.data, ports, formats)

    async def export_gave_up(event: RecordedEvent, error: BaseException, attempts: int) -> Emitted:
        assert isinstance(event.data, PageAnalyzed)
        formats = await plans.page_formats(event.data.job_id)
        failed = PageExportFailed(
            page_id=event.data.page_id,
            job_id=event.data.job_id,
            format=",".join(formats),
            code=getattr(error, "code", "internal-error"),
            reason=f"gave up after {attempts} attempts: {error}",
        )
        return [(page_stream(event.data.page_id), failed)]

    return [
        Subscription(
            "exporter-pages",
            ["page.analyzed"],
            on_page_analyzed,
            export_gave_up,
            max_deliver=max_deliver,
            ack_wait=ack_wait,
            batch_size=4,
        )
    ]
