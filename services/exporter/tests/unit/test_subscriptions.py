from __future__ import annotations

from typing import Any

from contracts import EngineStep, PageExported, PageExportFailed, Plan, RecordedEvent, page_stream
from contracts.errors import InvalidDocument
from exporter.adapters.event_history import StoredPlans, StoredRegistrations
from exporter.application.ports import ExportPorts
from exporter.domain.urls import GatewayUrls
from exporter.entrypoints.subscriptions import exporter_subscriptions
from infra.messaging.consumer import Subscription


def _subscription(seeder: Any, consumer: str = "exporter-pages") -> Subscription:
    ports = ExportPorts(
        seeder.artifacts, GatewayUrls("https://recto.example"), StoredRegistrations(seeder.store)
    )
    subscriptions = exporter_subscriptions(
        ports, StoredPlans(seeder.store), max_deliver=3, ack_wait=10.0
    )
    return next(s for s in subscriptions if s.consumer == consumer)


async def _exported(seeder: Any, index: int) -> PageExported:
    """The page's latest export: the handler appends it itself, at the version it read."""
    stream = await seeder.store.read_stream(page_stream(seeder.page_id(index)))
    exported = [e.data for e in stream if isinstance(e.data, PageExported)]
    assert exported, [e.type for e in stream]
    return exported[-1]


async def _recorded_analysis(seeder: Any, index: int) -> RecordedEvent:
    await seeder.record(index, seeder.analyzed(index))
    stream: list[RecordedEvent] = await seeder.store.read_stream(page_stream(seeder.page_id(index)))
    return stream[-1]


async def test_exported_formats_follow_the_jobs_plan(seeder: Any) -> None:
    plan = Plan(primary=EngineStep(engine="null"), exports=["alto", "text", "mets", "bundle"])
    await seeder.import_manuscript(1, plan)
    await seeder.register(0)
    subscription = _subscription(seeder)

    assert await subscription.handler(await _recorded_analysis(seeder, 0)) == []

    assert subscription.consumer == "exporter-pages"
    assert list(subscription.event_types) == ["page.analyzed"]
    exported = await _exported(seeder, 0)
    assert exported.job_id == seeder.job_id
    # Manuscript formats are the manuscript export's business, not the page's.
    assert sorted(exported.formats) == ["alto", "text"]


async def test_without_a_plan_every_page_format_is_exported(seeder: Any) -> None:
    await seeder.register(0)  # no job.created in the store

    assert await _subscription(seeder).handler(await _recorded_analysis(seeder, 0)) == []

    assert sorted((await _exported(seeder, 0)).formats) == [
        "alto",
        "annotations",
        "hocr",
        "page",
        "text",
        "word-annotations",
    ]


async def test_annotations_target_the_registered_canvas(seeder: Any) -> None:
    await seeder.import_manuscript(1, Plan(exports=["annotations"]))
    await seeder.register(0)

    await _subscription(seeder).handler(await _recorded_analysis(seeder, 0))

    exported = await _exported(seeder, 0)
    annotations = seeder.artifacts.get(exported.formats["annotations"]).decode()
    assert f"https://library.example/iiif/{seeder.manuscript_id}/canvas/1#xywh=" in annotations


async def test_the_final_failure_hook_records_why_the_export_gave_up(seeder: Any) -> None:
    await seeder.import_manuscript(1, Plan(exports=["alto", "page"]))
    await seeder.register(0)
    subscription = _subscription(seeder)
    assert subscription.on_final_failure is not None
    event = await _recorded_analysis(seeder, 0)

    ((stream, failed),) = await subscription.on_final_failure(
        event, InvalidDocument("ALTO line 3: element Foo not expected"), 3
    )

    assert stream == page_stream(seeder.page_id(0))
    assert failed == PageExportFailed(
        page_id=seeder.page_id(0),
        job_id=seeder.job_id,
        format="alto,page",
        code="invalid-document",
        reason="gave up after 3 attempts: ALTO line 3: element Foo not expected",
    )


async def test_an_unexpected_error_gives_up_as_an_internal_error(seeder: Any) -> None:
    await seeder.register(0)
    subscription = _subscription(seeder)
    assert subscription.on_final_failure is not None

    ((_, failed),) = await subscription.on_final_failure(
        await _recorded_analysis(seeder, 0), RuntimeError("disk full"), 5
    )

    assert isinstance(failed, PageExportFailed)
    assert (failed.code, failed.reason) == ("internal-error", "gave up after 5 attempts: disk full")
    assert failed.format == "alto,page,text,annotations,word-annotations,hocr"


async def test_a_page_of_a_cancelled_job_is_skipped_not_exported(seeder: Any) -> None:
    from contracts import JobCancelled, PageStageSkipped, job_stream

    await seeder.import_manuscript(1)
    await seeder.register(0)
    event = await _recorded_analysis(seeder, 0)
    await seeder.store.append(job_stream(seeder.job_id), [JobCancelled(job_id=seeder.job_id)])

    ((stream, skipped),) = await _subscription(seeder).handler(event)

    assert stream == page_stream(seeder.page_id(0))
    assert isinstance(skipped, PageStageSkipped)
    assert (skipped.stage, skipped.job_id) == ("export", seeder.job_id)


async def test_a_rerequested_export_exports_the_latest_analysis_once(seeder: Any) -> None:
    from contracts import PageStageRerequested

    await seeder.import_manuscript(1)
    await seeder.register(0)
    await seeder.record(0, seeder.analyzed(0, text="first reading"))
    await seeder.record(0, seeder.analyzed(0, text="second reading"))
    rerequest = PageStageRerequested(
        page_id=seeder.page_id(0), job_id=seeder.job_id, stage="export", attempt=1, reason="retry"
    )
    await seeder.record(0, rerequest)
    recorded = (await seeder.store.read_stream(page_stream(seeder.page_id(0))))[-1]
    reruns = _subscription(seeder, "exporter-reruns")

    assert await reruns.handler(recorded) == []  # the export is appended by the handler
    exported = await _exported(seeder, 0)
    assert exported.job_id == seeder.job_id
    assert "second reading" in seeder.artifacts.get(exported.formats["text"]).decode()
    # Delivered again once the page is exported: nothing more to do.
    stream = page_stream(seeder.page_id(0))
    exports = sum(isinstance(e.data, PageExported) for e in await seeder.store.read_stream(stream))
    assert await reruns.handler(recorded) == []
    assert exports == sum(
        isinstance(e.data, PageExported) for e in await seeder.store.read_stream(stream)
    )
