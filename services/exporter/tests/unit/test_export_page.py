from __future__ import annotations

import hashlib
from typing import Any
from uuid import UUID

from contracts import (
    PageAnalysis,
    PageAnalyzed,
    PageExported,
    PageExportFailed,
    PageRegistered,
    page_stream,
)
from exporter.application.export_page import export_page
from exporter.application.ports import ExportPorts
from exporter.domain.urls import GatewayUrls
from exporter.formats import xsd
from infra.artifacts import InMemoryArtifactStore


class FakeRegistrations:
    def __init__(self, *registrations: PageRegistered) -> None:
        self.by_page = {r.page_id: r for r in registrations}

    async def __call__(self, page_id: UUID) -> PageRegistered | None:
        return self.by_page.get(page_id)


def _analyzed(store: InMemoryArtifactStore, analysis: PageAnalysis, page_id: UUID) -> PageAnalyzed:
    ref = store.put(analysis.model_dump_json().encode(), PageAnalysis.media_type)
    return PageAnalyzed(page_id=page_id, analysis=ref, engine="tesseract", duration_ms=1.0)


async def test_every_default_format_is_stored_and_announced(
    analysis: PageAnalysis, base_url: str, make_registration: Any
) -> None:
    store = InMemoryArtifactStore()
    registered = make_registration(0)
    event = _analyzed(store, analysis, registered.page_id)
    ports = ExportPorts(store, GatewayUrls(base_url), FakeRegistrations(registered))

    ((stream, exported),) = await export_page(event, ports)

    assert stream == page_stream(registered.page_id)
    assert isinstance(exported, PageExported)
    assert set(exported.formats) == {
        "alto",
        "page",
        "text",
        "annotations",
        "word-annotations",
        "hocr",
    }
    alto = store.get(exported.formats["alto"])
    xsd.validate(xsd.Schema.ALTO, alto)
    assert b"<fileName>https://library.example/iiif/ms1/1/full/max/0/default.jpg</fileName>" in alto
    assert b'PHYSICAL_IMG_NR="1"' in alto
    assert store.get(exported.formats["text"]).decode() == (
        "Livre d'heures\n\nCafe\u0301 au lait.\n"
    )
    annotations = store.get(exported.formats["annotations"]).decode()
    assert "https://library.example/iiif/ms1/canvas/1#xywh=50,40,300,30" in annotations


async def test_re_export_is_byte_identical(analysis: PageAnalysis, base_url: str) -> None:
    store = InMemoryArtifactStore()
    event = _analyzed(store, analysis, UUID(int=7))
    ports = ExportPorts(store, GatewayUrls(base_url))

    first = await export_page(event, ports)
    second = await export_page(event, ports)

    assert first == second
    exported = first[0][1]
    assert isinstance(exported, PageExported)
    for ref in exported.formats.values():
        assert hashlib.sha256(store.get(ref)).hexdigest() == ref.sha256


async def test_without_a_registration_annotations_target_the_gateway_canvas(
    analysis: PageAnalysis, base_url: str
) -> None:
    store = InMemoryArtifactStore()
    event = _analyzed(store, analysis, UUID(int=7))
    ((_, exported),) = await export_page(
        event, ExportPorts(store, GatewayUrls(base_url)), formats=["annotations"]
    )
    assert isinstance(exported, PageExported)
    body = store.get(exported.formats["annotations"]).decode()
    # No canvas to scale to: the image's own pixels are the canvas.
    assert f"{base_url}/v1/pages/{UUID(int=7)}/canvas#xywh=100,80,600,60" in body


async def test_a_missing_analysis_artifact_fails_the_page(
    analysis: PageAnalysis, base_url: str
) -> None:
    event = _analyzed(InMemoryArtifactStore(), analysis, UUID(int=7))
    ports = ExportPorts(InMemoryArtifactStore(), GatewayUrls(base_url))
    ((_, failed),) = await export_page(event, ports)
    assert isinstance(failed, PageExportFailed)
    assert (failed.format, failed.code) == ("analysis", "artifact-not-found")


async def test_an_artifact_that_is_not_an_analysis_fails_the_page(base_url: str) -> None:
    store = InMemoryArtifactStore()
    ref = store.put(b'{"image": {}}', PageAnalysis.media_type)
    event = PageAnalyzed(page_id=UUID(int=7), analysis=ref, engine="x", duration_ms=0)
    ((_, failed),) = await export_page(event, ExportPorts(store, GatewayUrls(base_url)))
    assert isinstance(failed, PageExportFailed)
    assert failed.code == "contract-error"
    assert "does not fit PageAnalysis" in failed.reason


async def test_an_unknown_format_fails_without_shipping_the_others(
    analysis: PageAnalysis, base_url: str
) -> None:
    store = InMemoryArtifactStore()
    event = _analyzed(store, analysis, UUID(int=7))
    events = await export_page(
        event, ExportPorts(store, GatewayUrls(base_url)), formats=["alto", "docx"]
    )
    assert [type(e) for _, e in events] == [PageExportFailed]
    failed = events[0][1]
    assert isinstance(failed, PageExportFailed)
    assert (failed.format, failed.code) == ("docx", "export-error")
    assert "unknown export format 'docx'" in failed.reason
