"""A scanned PDF uploaded through the real gateway (uvicorn on loopback) becomes its pages at
their native resolution, through the relay and the ingest service on real NATS and PostgreSQL;
a PDF ingest refuses fails its manuscript with the reason, over the same path."""

from __future__ import annotations

import io
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from uuid import UUID

import httpx
import pytest
import uvicorn
from PIL import Image

from contracts import ManuscriptImportFailed, PageImageNormalized, PageRegistered
from gateway.adapters.migrate import upgrade
from gateway.bootstrap import create_gateway_app
from gateway.settings import GatewaySettings
from infra.artifacts import FileArtifactStore
from infra.eventstore import PostgresEventStore
from infra.settings import Settings
from infra.testing.pipeline import eventually, running_services
from ingest.bootstrap import build as build_ingest

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

# Three scanned leaves of different sizes, as a scanner writes them at 300 dpi.
SIZES = [(1275, 1650), (1200, 1700), (1350, 1600)]
DPI = 300


def scanned_pdf() -> bytes:
    leaves = []
    for number, size in enumerate(SIZES):
        leaf = Image.new("L", size, 235)
        leaf.paste(15, (100, 100 + 40 * number, size[0] - 100, 140 + 40 * number))
        leaves.append(leaf)
    out = io.BytesIO()
    leaves[0].save(out, "PDF", save_all=True, append_images=leaves[1:], resolution=DPI)
    return out.getvalue()


@pytest.fixture
def gateway_url(settings: Settings) -> Iterator[str]:
    """The gateway app under uvicorn in a thread of its own, on a free loopback port."""
    assert settings.database_url is not None
    upgrade(settings.database_url)
    app = create_gateway_app(
        settings, GatewaySettings(auth="off", completion_poll_seconds=0.05, feed_poll_seconds=0.05)
    )
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    started = threading.Event()
    while not server.started and thread.is_alive():
        started.wait(0.02)
    assert server.started, "the gateway did not start"
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    server.should_exit = True
    thread.join(timeout=30)


async def upload(gateway_url: str, name: str, data: bytes) -> UUID:
    response = await post_upload(gateway_url, name, data)
    assert response.status_code == 202, response.text
    return UUID(response.json()["manuscript_id"])


async def post_upload(gateway_url: str, name: str, data: bytes) -> httpx.Response:
    """A new corpus, once the gateway shows it, then the file uploaded into it."""
    async with httpx.AsyncClient(base_url=gateway_url, timeout=30) as client:
        created = await client.post("/v1/corpora", json={"slug": "scans", "title": "Scans"})
        assert created.status_code == 202, created.text
        corpus = created.json()["id"]

        async def visible() -> bool:
            return (await client.get(f"/v1/corpora/{corpus}")).status_code == 200

        await eventually(visible, timeout=30)
        return await client.post(
            f"/v1/corpora/{corpus}/uploads", files=[("files", (name, data, "application/pdf"))]
        )


async def test_a_scanned_pdf_upload_yields_its_pages_at_native_resolution(
    settings: Settings, event_store: PostgresEventStore, gateway_url: str
) -> None:
    async with running_services(settings, event_store, [build_ingest]):
        manuscript_id = await upload(gateway_url, "scans.pdf", scanned_pdf())

        async def all_normalized() -> bool:
            done = await event_store.read_all(types=["page.image_normalized"])
            return len(done) == len(SIZES)

        await eventually(all_normalized, timeout=120)

    registered = {
        e.data.page_id: e.data
        for e in await event_store.read_all(types=["page.registered"])
        if isinstance(e.data, PageRegistered)
    }
    assert {page.manuscript_id for page in registered.values()} == {manuscript_id}
    artifacts = FileArtifactStore(settings.artifacts)
    for recorded in await event_store.read_all(types=["page.image_normalized"]):
        normalized = recorded.data
        assert isinstance(normalized, PageImageNormalized)
        page = registered[normalized.page_id]
        expected = SIZES[page.index]
        assert page.upload_page == page.index + 1
        assert (normalized.master.width, normalized.master.height) == expected
        assert normalized.resolution_dpi == pytest.approx(DPI, abs=0.5)
        with Image.open(io.BytesIO(artifacts.get(normalized.master))) as master:
            assert master.size == expected
            assert master.info["dpi"][0] == pytest.approx(DPI, abs=0.5)


async def test_an_encrypted_pdf_is_refused_at_upload(
    settings: Settings, event_store: PostgresEventStore, gateway_url: str, tmp_path: Path
) -> None:
    import pikepdf

    with pikepdf.open(io.BytesIO(scanned_pdf())) as pdf:
        locked = tmp_path / "locked.pdf"
        pdf.save(locked, encryption=pikepdf.Encryption(owner="o", user="u"))
    response = await post_upload(gateway_url, "locked.pdf", locked.read_bytes())
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["detail"] == (
        "locked.pdf is an encrypted PDF: Recto reads no encrypted PDF"
    )
    assert await event_store.read_all(types=["manuscript.import_requested"]) == []


async def test_a_pdf_with_javascript_fails_its_manuscript_with_the_reason(
    settings: Settings, event_store: PostgresEventStore, gateway_url: str, tmp_path: Path
) -> None:
    import pikepdf

    with pikepdf.open(io.BytesIO(scanned_pdf())) as pdf:
        pdf.Root.OpenAction = pdf.make_indirect(
            pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert(1)"))
        )
        scripted = tmp_path / "scripted.pdf"
        pdf.save(scripted)
    async with running_services(settings, event_store, [build_ingest]):
        manuscript_id = await upload(gateway_url, "scripted.pdf", scripted.read_bytes())

        async def failed() -> bool:
            return bool(await event_store.read_all(types=["manuscript.import_failed"]))

        await eventually(failed, timeout=60)
    (recorded,) = await event_store.read_all(types=["manuscript.import_failed"])
    assert isinstance(recorded.data, ManuscriptImportFailed)
    assert recorded.data.manuscript_id == manuscript_id
    assert recorded.data.code == "pdf-active-content"
    assert "JavaScript" in recorded.data.reason
    assert await event_store.read_all(types=["page.registered"]) == []
