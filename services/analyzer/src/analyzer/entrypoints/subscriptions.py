"""What the analyzer listens to on the bus, and what it records when a page keeps failing.

Before a page is analyzed, and again before its result is recorded, the job is looked up in
the event store: a page of a cancelled job gets `page.stage_skipped`, not an analysis.
"""

from __future__ import annotations

import logging

from analyzer.application.analyze_page import analyze_page, record_final_failure
from analyzer.application.ports import AnalyzerPorts
from contracts import (
    PageAnalysisFailed,
    PageAnalysisRequested,
    PageImageNormalized,
    PageStageRerequested,
    RecordedEvent,
    page_stream,
)
from contracts.errors import AnalysisError
from infra.eventstore import EventStore
from infra.messaging.consumer import Emitted, RetryLater, Subscription, current_delivery
from infra.stage_guard import cancellation, rerun_outdated, skipped

ANALYZED_EVENTS = ["page.image_normalized", "page.analysis_requested"]
log = logging.getLogger(__name__)


def analyzer_subscriptions(
    ports: AnalyzerPorts, store: EventStore, *, max_deliver: int, ack_wait: float
) -> list[Subscription]:
    async def analyze(page: PageImageNormalized | PageAnalysisRequested) -> Emitted:
        if (cancelled := await cancellation(store, page.job_id)) is not None:
            return [skipped(page.page_id, page.job_id, "analysis", cancelled)]
        emitted = await analyze_page(page, ports, delivery=current_delivery.get())
        # The analysis may have taken long: a cancel recorded meanwhile wins over its result.
        if (cancelled := await cancellation(store, page.job_id)) is not None:
            return [skipped(page.page_id, page.job_id, "analysis", cancelled)]
        retryable = [e for _, e in emitted if isinstance(e, PageAnalysisFailed) and not e.final]
        if retryable:
            # Recorded now, so the page's history shows the attempt; the page is tried again.
            raise RetryLater(retryable[0].reason, emitted)
        return emitted

    async def on_page(event: RecordedEvent) -> Emitted:
        page = event.data
        assert isinstance(page, PageImageNormalized | PageAnalysisRequested)
        return await analyze(page)

    async def gave_up(event: RecordedEvent, error: BaseException, attempts: int) -> Emitted:
        page = event.data
        assert isinstance(page, PageImageNormalized | PageAnalysisRequested)
        return record_final_failure(page, f"gave up after {attempts} attempts: {error}", attempts)

    async def on_rerequest(event: RecordedEvent) -> Emitted:
        rerequest = event.data
        assert isinstance(rerequest, PageStageRerequested)
        if rerequest.stage != "analysis":
            return []
        if (outdated := await rerun_outdated(store, event)) is not None:
            log.info("analysis re-request of page %s left alone: %s", rerequest.page_id, outdated)
            return []
        normalized = await ports.page_images.normalized(rerequest.page_id)
        if normalized is None:
            failed = PageAnalysisFailed(
                page_id=rerequest.page_id,
                job_id=rerequest.job_id,
                code=AnalysisError.code,
                reason="the page has no normalised image yet",
                attempt=current_delivery.get(),
                final=True,
            )
            return [(page_stream(rerequest.page_id), failed)]
        job_id = rerequest.job_id or normalized.job_id
        return await analyze(normalized.model_copy(update={"job_id": job_id}))

    async def rerun_gave_up(event: RecordedEvent, error: BaseException, attempts: int) -> Emitted:
        rerequest = event.data
        assert isinstance(rerequest, PageStageRerequested)
        if rerequest.stage != "analysis":
            return []
        failed = PageAnalysisFailed(
            page_id=rerequest.page_id,
            job_id=rerequest.job_id,
            code=AnalysisError.code,
            reason=f"gave up after {attempts} attempts: {error}",
            attempt=attempts,
            final=True,
        )
        return [(page_stream(rerequest.page_id), failed)]

    return [
        Subscription(
            "analyzer",
            ANALYZED_EVENTS,
            on_page,
            gave_up,
            max_deliver=max_deliver,
            ack_wait=ack_wait,
            batch_size=1,  # one page at a time: tesseract uses one core per process
        ),
        # A consumer of its own: the other stages' re-requests are acknowledged and left alone.
        Subscription(
            "analyzer-reruns",
            ["page.stage_rerequested"],
            on_rerequest,
            rerun_gave_up,
            max_deliver=max_deliver,
            ack_wait=ack_wait,
            batch_size=1,
        ),
    ]
