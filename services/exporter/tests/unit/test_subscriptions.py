from __future__ import annotations

from typing import Any

from contracts import EngineStep, PageExported, PageExportFailed, Plan, RecordedEvent, page_stream
from contracts.errors import InvalidDocument
from exporter.adapters.event_history import StoredPlans, StoredRegistrations
from exporter.application.ports import ExportPorts
from exporter.domain.urls import GatewayUrls
from exporter.entrypoints.subscriptions import exporter_subscriptions
from infra.messaging.consumer import Subscription


def _subscription(seeder: Any) -> Subscription:
    ports = ExportPorts(
        seeder.artifacts, GatewayUrls("https://recto.example"), StoredRegistrations(seeder.store)
    )
    (subscription,) = exporter_subscriptions(
        ports, StoredPlans(seeder.store), max_deliver=3, ack_wait=10.0
    )
    return subscription


async def _recorded_analysis(seeder: Any, index: int) -> RecordedEvent:
    await seeder.record(index, seeder.analyzed(index))
    stream: list[RecordedEvent] = await seeder.store.read_stream(page_stream(seeder.page_id(index)))
    return stream[-1]


async def test_exported_formats_follow_the_jobs_plan(seeder: Any) -> None:
    plan = Plan(primary=EngineStep(engine="null"), exports=["alto", "text", "mets", "bundle"])
    await seeder.import_manuscript(1, plan)
    await seeder.register(0)
    subscription = _subscription(seeder)

    ((stream, exported),) = await subscription.handler(await _recorded_analysis(seeder, 0))

    assert subscription.consumer == "exporter-pages"
    assert list(subscription.event_types) == ["page.analyzed"]
    assert stream == page_stream(seeder.page_id(0))
    assert isinstance(exported, PageExported)
    # Manuscript formats are the manuscript export's business, not the page's.
    assert sorted(exported.formats) == ["alto", "text"]


async def test_without_a_plan_every_page_format_is_exported(seeder: Any) -> None:
    await seeder.register(0)  # no job.created in the store

    ((_, exported),) = await _subscription(seeder).handler(await _recorded_analysis(seeder, 0))

    assert isinstance(exported, PageExported)
    assert sorted(exported.formats) == ["alto", "annotations", "hocr", "page", "text"]


async def test_annotations_target_the_registered_canvas(seeder: Any) -> None:
    await seeder.import_manuscript(1, Plan(exports=["annotations"]))
    await seeder.register(0)

    ((_, exported),) = await _subscription(seeder).handler(await _recorded_analysis(seeder, 0))

    assert isinstance(exported, PageExported)
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
    assert failed.format == "alto,page,text,annotations,hocr"
