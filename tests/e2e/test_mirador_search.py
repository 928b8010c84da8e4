"""Mirador 4 (from npm, `tests/browser/package.json`) searches an exported manuscript in
Debian's chromium: it loads the manifest the exporter wrote from the running gateway, finds the
Content Search service the manifest declares, runs a search from its search panel and
highlights the hit. The screenshot lands in `test-artifacts/`."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import shutil
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest

from contracts import (
    ManuscriptExported,
    ManuscriptImported,
    Metadata,
    PageAnalysis,
    PageExported,
    PageRegistered,
    manuscript_stream,
    page_stream,
)
from exporter.application.manuscript import build_iiif_manifest
from exporter.domain.iiif_annotations import Granularity, page_annotations
from exporter.domain.manuscript import Manuscript, ManuscriptPage
from exporter.domain.urls import GatewayUrls
from exporter.formats.page_reader import read_page
from gateway.settings import GatewaySettings
from gateway.testing import new_manuscript, search_caught_up, served_gateway
from infra.artifacts import FileArtifactStore
from infra.eventstore import PostgresEventStore
from infra.settings import Settings
from infra.testing.databases import clone_database, drop_database, with_database

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
BROWSER = ROOT / "tests" / "browser"
MIRADOR = BROWSER / "node_modules" / "mirador" / "dist" / "mirador.min.js"
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
LAUBE = "ocr-gt/dta-laube_europa0202_1837_0105/GT-PAGE/laube_europa0202_1837_0105"
INDEX = """<!doctype html>
<html><head><meta charset="utf-8"><title>Mirador</title><link rel="icon" href="data:,"></head>
<body style="margin:0"><div id="viewer" style="position:absolute;inset:0"></div>
<script src="mirador.min.js"></script>
<script>
  const manifest = new URLSearchParams(location.search).get("manifest");
  window.mirador = Mirador.viewer({
    id: "viewer",
    windows: [{ manifestId: manifest, sideBarOpen: true, sideBarPanel: "search" }],
    window: { allowClose: false },
    workspaceControlPanel: { enabled: false },
  });
</script></body></html>
"""


YELLOW_PAINTED = """() => [...document.querySelectorAll("canvas")].some(canvas => {
    const context = canvas.width && canvas.height && canvas.getContext("2d");
    if (!context) return false;
    const pixels = context.getImageData(0, 0, canvas.width, canvas.height).data;
    for (let i = 0; i < pixels.length; i += 4) {
        if (pixels[i] > 200 && pixels[i + 1] > 200 && pixels[i + 2] < 80 && pixels[i + 3] > 0) {
            return true;
        }
    }
    return false;
})"""


@pytest.fixture(scope="module")
def mirador() -> Path:
    """Mirador's standalone bundle, installed from the committed lock file when missing."""
    if not MIRADOR.exists():
        npm = shutil.which("npm")
        if npm is None:
            pytest.skip("npm is not installed: Mirador cannot be installed")
        subprocess.run(
            [npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund"],
            cwd=BROWSER,
            check=True,
            capture_output=True,
            timeout=600,
        )
    return MIRADOR


class _QuietFiles(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Requests are the browser's business; failures show in the test's problem list."""


@contextlib.contextmanager
def serving_folder(folder: Path) -> Iterator[str]:
    server = ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_QuietFiles, directory=str(folder))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


async def export_manuscript(
    settings: Settings, gateway_url: str, image_url: str, corpora: Path
) -> UUID:
    """What ingest and the exporter record for a one-page manuscript: the page registered
    with its image, exported with its analysis and annotations, the manuscript's manifest."""
    assert settings.database_url is not None
    store = await PostgresEventStore.connect(settings.database_url)
    artifacts = FileArtifactStore(settings.artifacts)
    urls = GatewayUrls(gateway_url)
    try:
        async with httpx.AsyncClient(base_url=gateway_url, timeout=30) as client:
            corpus_id, manuscript_id = await new_manuscript(client, "laube")
        analysis = read_page((corpora / f"{LAUBE}.xml").read_bytes())
        analysis = analysis.model_copy(update={"languages": ["deu", "frk"]})
        page_id = UUID(int=1)
        registered = PageRegistered(
            page_id=page_id,
            manuscript_id=manuscript_id,
            corpus_id=corpus_id,
            index=0,
            label="S. 105",
            image_url=image_url,
            canvas_width=analysis.image.width,
            canvas_height=analysis.image.height,
        )
        page = ManuscriptPage(registered, analysis)
        imported = ManuscriptImported(
            manuscript_id=manuscript_id, corpus_id=corpus_id, label="Laube, Europa", page_count=1
        )
        # Both pages the manifest lists: lines and words.
        annotations = {
            granularity.page_format.value: artifacts.put(
                json.dumps(page_annotations(page, urls, None, granularity)).encode(),
                "application/ld+json",
            )
            for granularity in Granularity
        }
        manifest = build_iiif_manifest(Manuscript(imported, [page]), gateway_url)
        exporter = Metadata(actor="exporter")
        await store.append(page_stream(page_id), [registered], metadata=Metadata(actor="ingest"))
        await store.append(
            page_stream(page_id),
            [
                PageExported(
                    page_id=page_id,
                    analysis=artifacts.put(
                        analysis.model_dump_json().encode(), PageAnalysis.media_type
                    ),
                    formats=annotations,
                )
            ],
            metadata=exporter,
        )
        await store.append(
            manuscript_stream(manuscript_id),
            [
                ManuscriptExported(
                    manuscript_id=manuscript_id,
                    formats={"iiif-manifest": artifacts.put(manifest.content, manifest.media_type)},
                    pages_exported=1,
                    pages_failed=0,
                )
            ],
            metadata=exporter,
        )
        await search_caught_up(store.pool)
    finally:
        await store.close()
    return manuscript_id


@pytest.fixture
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (make system installs it)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is a dev dependency")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield launched
        launched.close()


@dataclass
class Served:
    viewer_url: str
    gateway_url: str
    manifest_url: str


@pytest.fixture
def served(
    mirador: Path, corpora: Path, postgres_admin_url: str, template_database: str, tmp_path: Path
) -> Iterator[Served]:
    """The viewer's origin (Mirador, a page that starts it, the page image) and the gateway
    serving an exported manuscript. Set up before the browser, whose API holds an event loop."""
    site = tmp_path / "site"
    site.mkdir()
    shutil.copy(mirador, site / "mirador.min.js")
    shutil.copy(corpora / f"{LAUBE}.jpg", site / "page.jpg")
    (site / "index.html").write_text(INDEX)
    name = clone_database(postgres_admin_url, template_database)
    settings = Settings(
        database_url=with_database(postgres_admin_url, name),
        nats_url=None,
        artifacts=tmp_path / "artifacts",
    )
    try:
        # Keys off: Mirador sends its autocomplete requests without the configured headers.
        with (
            serving_folder(site) as viewer_url,
            served_gateway(settings, GatewaySettings(auth="off")) as gateway_url,
        ):
            manuscript_id = asyncio.run(
                export_manuscript(settings, gateway_url, f"{viewer_url}/page.jpg", corpora)
            )
            manifest = f"{gateway_url}/v1/manuscripts/{manuscript_id}/iiif-manifest"
            yield Served(viewer_url, gateway_url, manifest)
    finally:
        drop_database(postgres_admin_url, name)


@pytest.mark.timeout(900)
def test_mirador_finds_a_word_through_the_manifests_search_service_and_highlights_it(
    served: Served, browser: Any
) -> None:
    from playwright.sync_api import expect

    problems: list[str] = []
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("response", lambda r: r.status >= 400 and problems.append(f"{r.status} {r.url}"))
    page.goto(f"{served.viewer_url}/index.html?manifest={served.manifest_url}")

    # The search panel is there because the manifest declares a search service.
    field = page.get_by_label("search terms")
    expect(field).to_be_visible(timeout=60_000)
    field.fill("einsam")
    field.press("Enter")

    # The hit shows its line with the match in bold; choosing it highlights it.
    hit = page.locator("li", has_text="einſam").first
    expect(hit).to_be_visible(timeout=60_000)
    expect(hit.locator("strong").first).to_have_text("Einſam")
    hit.click()
    selected: list[str] = page.evaluate(
        """() => Object.values(window.mirador.store.getState().searches)
               .flatMap(w => Object.values(w))
               .flatMap(s => s.selectedContentSearchAnnotationIds || [])"""
    )
    assert selected
    assert selected[0].startswith(f"{served.gateway_url}/v1/pages/")
    # The selected hit is painted yellow on the viewer's annotation overlay.
    page.wait_for_function(YELLOW_PAINTED, timeout=60_000)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "mirador-search.png"))
    assert problems == []
