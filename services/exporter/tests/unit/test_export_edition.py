"""Edits exported: the current transcription, its editors in ALTO and PAGE, once per change."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from contracts import (
    EditorialStatus,
    Metadata,
    PageAnalysis,
    PageCorrected,
    PageExported,
    PageStatusChanged,
    PageTranscriptionImported,
    PageTranscriptionImportFailed,
    PageTranscriptionImportRequested,
    RecordedEvent,
    Revision,
    page_stream,
)
from contracts.editing import apply_operations, with_revision
from contracts.operations import EditLineText
from exporter.adapters.event_history import StoredPlans, StoredRegistrations
from exporter.application.ports import ExportPorts
from exporter.domain.urls import GatewayUrls
from exporter.entrypoints.subscriptions import exporter_subscriptions
from exporter.formats import xsd
from exporter.formats.alto_writer import ALTO
from exporter.formats.page_writer import PAGE_2019, write_page
from infra.messaging.consumer import Subscription

AT = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


def subscriptions(seeder: Any) -> dict[str, Subscription]:
    ports = ExportPorts(
        seeder.artifacts, GatewayUrls("https://recto.example"), StoredRegistrations(seeder.store)
    )
    listed = exporter_subscriptions(ports, StoredPlans(seeder.store), max_deliver=3, ack_wait=9)
    return {s.consumer: s for s in listed}


async def stream(seeder: Any) -> list[RecordedEvent]:
    events: list[RecordedEvent] = await seeder.store.read_stream(page_stream(seeder.page_id(0)))
    return events


async def exports(seeder: Any) -> list[PageExported]:
    return [e.data for e in await stream(seeder) if isinstance(e.data, PageExported)]


async def correct(seeder: Any, text: str, actor: str = "ada") -> RecordedEvent:
    """What the gateway records for a correction of the page's first line."""
    events = await stream(seeder)
    current = [e.data for e in events if isinstance(e.data, PageCorrected)]
    base_ref = current[-1].analysis if current else (await exports(seeder))[0].analysis
    base = PageAnalysis.model_validate_json(seeder.artifacts.get(base_ref))
    operations = [EditLineText(line_id="l1", text=text)]
    revision = Revision(
        kind="correction", actor=actor, at=AT, version=len(events) + 1, reason="typo"
    )
    edited = with_revision(apply_operations(base, operations), revision)
    ref = seeder.artifacts.put(edited.model_dump_json().encode(), PageAnalysis.media_type)
    event = PageCorrected(
        page_id=seeder.page_id(0),
        against_version=len(events),
        actor=actor,
        reason="typo",
        operations=operations,
        base=base_ref,
        analysis=ref,
    )
    await seeder.store.append(
        page_stream(seeder.page_id(0)), [event], metadata=Metadata(actor=actor)
    )
    return (await stream(seeder))[-1]


@pytest.fixture
async def exported_page(seeder: Any) -> dict[str, Subscription]:
    await seeder.import_manuscript(1)
    await seeder.register(0)
    await seeder.record(0, seeder.analyzed(0))
    handlers = subscriptions(seeder)
    assert await handlers["exporter-pages"].handler((await stream(seeder))[-1]) == []
    return handlers


async def test_a_correction_is_exported_with_its_editor(
    seeder: Any, exported_page: dict[str, Subscription], corpora: Path
) -> None:
    trigger = await correct(seeder, "Livre d'Heures")
    assert await exported_page["exporter-editions"].handler(trigger) == []

    first, second = await exports(seeder)
    assert second.analysis == trigger.data.analysis  # type: ignore[attr-defined]
    assert second.job_id is None
    alto = seeder.artifacts.get(second.formats["alto"])
    page = seeder.artifacts.get(second.formats["page"])
    xsd.validate(xsd.Schema.ALTO, alto)
    xsd.validate(xsd.Schema.PAGE, page)
    official = etree.XMLSchema(etree.parse(str(corpora / "schemas" / "alto-4-4.xsd")))
    assert official.validate(etree.fromstring(alto)), official.error_log
    assert b"Livre d'Heures" in alto
    assert b"Livre d'Heures" in seeder.artifacts.get(second.formats["text"])
    assert first.formats["alto"] != second.formats["alto"]

    root = etree.fromstring(alto)
    ns = {"a": ALTO}
    step = root.find(".//a:Processing[@ID='processing_2']", ns)
    assert step.findtext("a:processingCategory", namespaces=ns) == "contentModification"
    assert [d.text for d in step.iterfind("a:processingStepDescription", ns)] == [
        "correction by ada",
        "typo",
    ]
    assert root.find(".//a:Page", ns).get("PROCESSINGREFS") == "processing_1 processing_2"
    item = etree.fromstring(page).find(
        ".//p:MetadataItem[@name='recto-correction']", {"p": PAGE_2019}
    )
    assert (item.get("value"), item.get("date")) == ("ada", AT.isoformat())


async def test_each_change_is_exported_once_whatever_the_order(
    seeder: Any, exported_page: dict[str, Subscription]
) -> None:
    first = await correct(seeder, "one")
    second = await correct(seeder, "two")
    handler = exported_page["exporter-editions"].handler
    # The later event handled first exports the latest text; the earlier one then has nothing
    # left to do, and a redelivery of either neither.
    await handler(second)
    await handler(first)
    await handler(second)
    assert len(await exports(seeder)) == 2
    latest = (await exports(seeder))[-1]
    assert b"two" in seeder.artifacts.get(latest.formats["text"])


async def test_a_re_analysis_exports_the_corrected_text_for_its_job(
    seeder: Any, exported_page: dict[str, Subscription]
) -> None:
    corrected = await correct(seeder, "Livre d'Heures")
    await exported_page["exporter-editions"].handler(corrected)
    await seeder.record(0, seeder.analyzed(0, text="Livre dheures"))
    await exported_page["exporter-pages"].handler((await stream(seeder))[-1])
    latest = (await exports(seeder))[-1]
    assert latest.job_id == seeder.job_id  # the job counts its page as exported
    assert latest.analysis == corrected.data.analysis  # type: ignore[attr-defined]


async def test_a_status_is_recorded_in_page_only(
    seeder: Any, exported_page: dict[str, Subscription]
) -> None:
    before = (await exports(seeder))[-1]
    await seeder.record(
        0,
        PageStatusChanged(
            page_id=seeder.page_id(0),
            against_version=4,
            actor="ada",
            previous=EditorialStatus.MACHINE_DRAFT,
            status=EditorialStatus.NEEDS_REVIEW,
        ),
    )
    await exported_page["exporter-editions"].handler((await stream(seeder))[-1])
    after = (await exports(seeder))[-1]
    assert after.formats["alto"] == before.formats["alto"]
    assert after.formats["page"] != before.formats["page"]
    page = seeder.artifacts.get(after.formats["page"])
    assert b'name="editorialStatus" value="needs_review"' in page


async def request_import(seeder: Any, content: bytes, source_format: str) -> RecordedEvent:
    source = seeder.artifacts.put(content, "application/xml")
    request = PageTranscriptionImportRequested(
        page_id=seeder.page_id(0),
        against_version=len(await stream(seeder)),
        actor="ada",
        source=source,
        source_format=source_format,  # type: ignore[arg-type]
        filename="f1r.xml",
    )
    await seeder.record(0, request)
    return (await stream(seeder))[-1]


async def test_an_imported_page_file_is_fitted_to_the_page_and_becomes_current(
    seeder: Any, exported_page: dict[str, Subscription], analysis: PageAnalysis
) -> None:
    # A file made on a half-size image: geometry doubles to the master's 2000×3000 pixels.
    half = analysis.model_copy(
        update={"image": analysis.image.model_copy(update={"width": 1000, "height": 1500})}
    )
    content = write_page(half).content
    trigger = await request_import(seeder, content, "page")
    assert await exported_page["exporter-imports"].handler(trigger) == []
    imported = (await stream(seeder))[-1]
    assert isinstance(imported.data, PageTranscriptionImported)
    assert imported.data.request_id == trigger.event_id
    assert imported.data.source_schema == PAGE_2019
    assert "scaled from 1000×1500 to the page's 2000×3000" in imported.data.notes
    result = PageAnalysis.model_validate_json(seeder.artifacts.get(imported.data.analysis))
    assert (result.image.width, result.image.height) == (2000, 3000)
    assert result.lines()[0].bbox.width == 2 * analysis.lines()[0].bbox.width
    assert [r.kind for r in result.revisions] == ["import"]
    # Handled again (a redelivery), nothing more is recorded.
    await exported_page["exporter-imports"].handler(trigger)
    assert (await stream(seeder))[-1].event_id == imported.event_id


async def test_an_unreadable_file_or_a_stale_import_fails_with_its_reason(
    seeder: Any, exported_page: dict[str, Subscription]
) -> None:
    broken = b'<PcGts xmlns="http://schema.primaresearch.org/PAGE/gts/pagecontent/2019-07-15"/>'
    trigger = await request_import(seeder, broken, "page")
    ((_, failed),) = await exported_page["exporter-imports"].handler(trigger)
    assert isinstance(failed, PageTranscriptionImportFailed)
    assert (failed.code, failed.reason) == ("invalid-document", "PAGE document has no Page")

    stale = await request_import(seeder, broken, "page")
    await correct(seeder, "meanwhile")
    ((_, failed),) = await exported_page["exporter-imports"].handler(stale)
    assert isinstance(failed, PageTranscriptionImportFailed)
    assert failed.code == "conflict"
    assert "changed at version" in failed.reason
