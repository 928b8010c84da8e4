"""What the exporter listens to on the bus, and what it records when a page keeps failing.

A page of a cancelled job, looked up in the event store first, gets `page.stage_skipped`
instead of its exports.
"""

from __future__ import annotations

import logging
from uuid import UUID

from contracts import (
    PageAnalyzed,
    PageExportFailed,
    PageStageRerequested,
    RecordedEvent,
    page_stream,
)
from contracts.errors import ExportError
from exporter.adapters.event_history import StoredPlans
from exporter.application.export_page import export_page
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
    events = plans.store

    async def export(analyzed: PageAnalyzed) -> Emitted:
        if (cancelled := await cancellation(events, analyzed.job_id)) is not None:
            return [skipped(analyzed.page_id, analyzed.job_id, "export", cancelled)]
        formats = await plans.page_formats(analyzed.job_id)
        return await export_page(analyzed, ports, formats)

    async def on_page_analyzed(event: RecordedEvent) -> Emitted:
        assert isinstance(event.data, PageAnalyzed)
        return await export(event.data)

    async def export_gave_up(event: RecordedEvent, error: BaseException, attempts: int) -> Emitted:
        assert isinstance(event.data, PageAnalyzed)
        formats = await plans.page_formats(event.data.job_id)
        return [_gave_up(event.data.page_id, event.data.job_id, ",".join(formats), error, attempts)]

    async def on_rerequest(event: RecordedEvent) -> Emitted:
        rerequest = event.data
        assert isinstance(rerequest, PageStageRerequested)
        if rerequest.stage != "export":
            return []
        if (outdated := await rerun_outdated(events, event)) is not None:
            log.info("export re-request of page %s left alone: %s", rerequest.page_id, outdated)
            return []
        analyzed = None
        for recorded in await events.read_stream(page_stream(rerequest.page_id)):
            if isinstance(recorded.data, PageAnalyzed):
                analyzed = recorded.data
        if analyzed is None:
            failed = PageExportFailed(
                page_id=rerequest.page_id,
                job_id=rerequest.job_id,
                format="all",
                code=ExportError.code,
                reason="the page has no analysis to export",
            )
            return [(page_stream(rerequest.page_id), failed)]
        return await export(
            analyzed.model_copy(update={"job_id": rerequest.job_id or analyzed.job_id})
        )

    async def rerun_gave_up(event: RecordedEvent, error: BaseException, attempts: int) -> Emitted:
        rerequest = event.data
        assert isinstance(rerequest, PageStageRerequested)
        if rerequest.stage != "export":
            return []
        return [_gave_up(rerequest.page_id, rerequest.job_id, "all", error, attempts)]

    return [
        Subscription(
            "exporter-pages",
            ["page.analyzed"],
            on_page_analyzed,
            export_gave_up,
            max_deliver=max_deliver,
            ack_wait=ack_wait,
            batch_size=4,
        ),
        # A consumer of its own: the other stages' re-requests are acknowledged and left alone.
        Subscription(
            "exporter-reruns",
            ["page.stage_rerequested"],
            on_rerequest,
            rerun_gave_up,
            max_deliver=max_deliver,
            ack_wait=ack_wait,
        ),
    ]


def _gave_up(
    page_id: UUID, job_id: UUID | None, formats: str, error: BaseException, attempts: int
) -> tuple[str, PageExportFailed]:
    failed = PageExportFailed(
        page_id=page_id,
        job_id=job_id,
        format=formats,
        code=getattr(error, "code", "internal-error"),
        reason=f"gave up after {attempts} attempts: {error}",
    )
    return page_stream(page_id), failed
