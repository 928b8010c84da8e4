"""What the analyzer listens to on the bus, and what it records when a page keeps failing."""

from __future__ import annotations

from analyzer.application.analyse_page import analyse_page, record_final_failure
from analyzer.application.ports import AnalyzerPorts
from contracts import (
    JobCancelled,
    PageAnalysisFailed,
    PageAnalysisRequested,
    PageImageNormalized,
    RecordedEvent,
    job_stream,
)
from infra.eventstore import EventStore
from infra.messaging.consumer import Emitted, RetryLater, Subscription, current_delivery

ANALYSED_EVENTS = ["page.image_normalized", "page.analysis_requested"]


def analyzer_subscriptions(
    ports: AnalyzerPorts, store: EventStore, *, max_deliver: int, ack_wait: float
) -> list[Subscription]:
    async def on_page(event: RecordedEvent) -> Emitted:
        page = event.data
        assert isinstance(page, PageImageNormalized | PageAnalysisRequested)
        if await _job_cancelled(store, page):
            return []
        emitted = await analyse_page(page, ports, delivery=current_delivery.get())
        retryable = [e for _, e in emitted if isinstance(e, PageAnalysisFailed) and not e.final]
        if retryable:
            # Recorded now, so the page's history shows the attempt; the page is tried again.
            raise RetryLater(retryable[0].reason, emitted)
        return emitted

    async def gave_up(event: RecordedEvent, error: BaseException, attempts: int) -> Emitted:
        page = event.data
        assert isinstance(page, PageImageNormalized | PageAnalysisRequested)
        return record_final_failure(page, f"gave up after {attempts} attempts: {error}", attempts)

    return [
        Subscription(
            "analyzer",
            ANALYSED_EVENTS,
            on_page,
            gave_up,
            max_deliver=max_deliver,
            ack_wait=ack_wait,
            batch_size=1,  # one page at a time: tesseract uses one core per process
        )
    ]


async def _job_cancelled(
    store: EventStore, page: PageImageNormalized | PageAnalysisRequested
) -> bool:
    if page.job_id is None:
        return False
    return any(
        isinstance(e.data, JobCancelled) for e in await store.read_stream(job_stream(page.job_id))
    )
