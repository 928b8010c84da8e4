"""IIIF viewers read what Recto exports, over the whole stack.

A sample manuscript is published by the demo's IIIF server (Image API level 1) and imported by
a running stack. Its manifest and annotation pages must load as Presentation 3 (iiif-prezi3),
keep the structural rules a validator applies (every id a client follows resolves, every target
lies inside its canvas, the image service keeps its level), and show in Mirador 4: from npm on
a page of another origin with no configuration, and as the dashboard embeds it. Screenshots
land in `test-artifacts/`.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import re
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import iiif_prezi3
import pytest

from contracts import EngineStep, Plan
from recto.client import GatewayClient
from recto.sample.iiif_server import serving
from recto.sample.pages import generated_pages
from recto.stack import Stack, running_stack

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
BROWSER = ROOT / "tests" / "browser"
NPM_MIRADOR = BROWSER / "node_modules" / "mirador"
VENDORED = ROOT / "services/gateway/src/gateway/static/vendor/mirador"
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
XYWH = re.compile(r"^(?P<canvas>[^#]+)#xywh=(\d+),(\d+),(\d+),(\d+)$")
EXPORT_TIMEOUT = 600.0
# Mirador as a library's web page would start it: nothing but the manifest.
INDEX = """<!doctype html>
<html><head><meta charset="utf-8"><title>Mirador</title><link rel="icon" href="data:,"></head>
<body style="margin:0"><div id="viewer" style="position:absolute;inset:0"></div>
<script src="mirador.min.js"></script>
<script>
  const manifest = new URLSearchParams(location.search).get("manifest");
  window.mirador = Mirador.viewer({ id: "viewer", windows: [{ manifestId: manifest }] });
</script></body></html>
"""


@dataclass
class Exported:
    stack: Stack
    image_server: str
    manuscript_id: str
    manifest_url: str
    manifest: dict[str, Any]


@pytest.fixture(scope="module")
def exported() -> Iterator[Exported]:
    """A two-page sample manuscript, published on loopback, imported and exported by a stack."""
    # Under /tmp and world-traversable: the embedded PostgreSQL runs as nobody when root.
    state_dir = Path(tempfile.mkdtemp(prefix="recto-viewers-", dir="/tmp"))
    state_dir.chmod(0o755)
    env = {"RECTO_AUTH": "off", "RECTO_FETCH_ALLOW": "127.0.0.1"}
    try:
        with (
            running_stack(state_dir, analyzers=1, extra_env=env) as stack,
            serving(generated_pages(2), "Viewer sample") as source,
        ):
            client = GatewayClient(stack.gateway_url)
            corpus_id = client.ensure_corpus("viewers", "Viewers")
            plan = Plan(primary=EngineStep(engine="tesseract", languages=["eng"]))
            accepted = client.import_manifest(corpus_id, source, plan)
            manuscript_id = str(accepted["manuscript_id"])
            manifest_url = f"{stack.gateway_url}/v1/manuscripts/{manuscript_id}/iiif-manifest"
            manifest = _exported_manifest(stack.gateway_url, manuscript_id, manifest_url)
            yield Exported(stack, source.rsplit("/", 1)[0], manuscript_id, manifest_url, manifest)
    finally:
        shutil.rmtree(state_dir, ignore_errors=True)


def _exported_manifest(gateway: str, manuscript_id: str, url: str) -> dict[str, Any]:
    """The manifest once the manuscript is exported (its read model follows the log)."""
    deadline = time.monotonic() + EXPORT_TIMEOUT
    status = None
    while time.monotonic() < deadline:
        answer = httpx.get(f"{gateway}/v1/manuscripts/{manuscript_id}", timeout=30)
        status = answer.json().get("status") if answer.status_code == 200 else None
        if status == "exported":
            return _json(url)
        assert status not in ("failed", "import_failed"), answer.text
        time.sleep(0.5)
    raise AssertionError(f"the manuscript was not exported in {EXPORT_TIMEOUT} s ({status})")


def _json(url: str) -> dict[str, Any]:
    answer = httpx.get(url, timeout=30)
    assert answer.status_code == 200, (url, answer.status_code)
    assert "json" in answer.headers["content-type"], url
    document: dict[str, Any] = answer.json()
    return document


def _resolves(url: str, media: str) -> httpx.Response:
    answer = httpx.get(url, timeout=30, follow_redirects=True)
    assert answer.status_code == 200, (url, answer.status_code)
    assert media in answer.headers["content-type"], (url, answer.headers["content-type"])
    return answer


def test_manifest_and_annotation_pages_are_presentation_3_whose_links_resolve(
    exported: Exported,
) -> None:
    manifest = exported.manifest
    iiif_prezi3.Manifest(**manifest)
    # The manifest is where its id says.
    assert manifest["id"] == exported.manifest_url
    assert _json(manifest["id"])["id"] == manifest["id"]
    for link in manifest["seeAlso"]:
        _resolves(link["id"], "xml")
    search = next(s for s in manifest["service"] if s.get("type") == "SearchService2")
    assert _json(f"{search['id']}?q=Recto")["type"] == "AnnotationPage"
    assert _json(f"{search['service'][0]['id']}?q=Rec")["type"] == "TermPage"

    assert len(manifest["items"]) == 2
    granularities = set()
    for canvas in manifest["items"]:
        width, height = canvas["width"], canvas["height"]
        # The image and its service, as the source declared them: level 1, not level 0.
        body = canvas["items"][0]["items"][0]["body"]
        # The sample server answers a whole page with the original's own bytes (lossless, ADR
        # 0017), whatever the extension asked: an image, not necessarily a JPEG.
        _resolves(body["id"], "image/")
        (service,) = body["service"]
        assert service["type"] == "ImageService3"
        assert service["profile"] == "level1"
        info = _json(f"{service['id']}/info.json")
        assert (info["id"], info["profile"]) == (service["id"], "level1")
        # A thumbnail in a size level 1 promises (`w,`), never `!w,h`.
        (thumbnail,) = canvas["thumbnail"]
        assert thumbnail["id"] == f"{service['id']}/full/200,/0/default.jpg"
        _resolves(thumbnail["id"], "image/")
        for link in canvas["seeAlso"]:
            _resolves(link["id"], "xml")
        # Lines and words, each a page of its own that resolves where its id says.
        assert len(canvas["annotations"]) == 2
        counts = {}
        for reference in canvas["annotations"]:
            page = _json(reference["id"])
            iiif_prezi3.AnnotationPage(**page)
            assert page["id"] == reference["id"]
            assert page["items"], reference["id"]
            for annotation in page["items"]:
                assert annotation["motivation"] == ["supplementing", "commenting"]
                granularities.add(annotation["textGranularity"])
                match = XYWH.match(annotation["target"])
                assert match is not None, annotation["target"]
                x, y, w, h = (int(v) for v in match.groups()[1:])
                assert match["canvas"] == canvas["id"]
                assert min(x, y) >= 0, annotation["target"]
                assert min(w, h) > 0, annotation["target"]
                assert x + w <= width, annotation["target"]
                assert y + h <= height, annotation["target"]
            counts[page["items"][0]["textGranularity"]] = len(page["items"])
        assert counts["word"] > counts["line"] > 0
    assert granularities == {"line", "word"}


def test_a_viewer_of_another_origin_may_read_the_manifest(exported: Exported) -> None:
    origin = {"Origin": "http://viewer.example"}
    answer = httpx.get(exported.manifest_url, headers=origin, timeout=30)
    assert answer.headers["access-control-allow-origin"] == "*"
    preflight = httpx.options(
        exported.manifest_url,
        headers={**origin, "Access-Control-Request-Method": "GET"},
        timeout=30,
    )
    assert preflight.status_code == 200


@pytest.fixture(scope="module")
def mirador() -> Path:
    """Mirador's npm package, installed from the committed lock file when missing."""
    if not (NPM_MIRADOR / "dist" / "mirador.min.js").exists():
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
    return NPM_MIRADOR


def test_the_gateways_mirador_is_the_npm_package_it_names(mirador: Path) -> None:
    vendored = (VENDORED / "mirador.min.js").read_bytes()
    assert vendored == (mirador / "dist" / "mirador.min.js").read_bytes(), "run make mirador"
    readme = (VENDORED / "README.md").read_text()
    version = httpx.Response(200, content=(mirador / "package.json").read_bytes()).json()
    assert f"**{version['version']}**" in readme
    assert hashlib.sha256(vendored).hexdigest() in readme


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


@pytest.fixture
def browser() -> Iterator[Any]:
    """Chromium under Playwright, whose sync API runs an event loop: ask for it last."""
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (make system installs it)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is a dev dependency")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield launched
        launched.close()


@dataclass
class Watched:
    page: Any
    problems: list[str]
    images: list[str]
    console: list[str]

    def refused(self) -> list[str]:
        """What the page's Content Security Policy kept out (React's own warnings aside)."""
        return [text for text in self.console if "Content Security Policy" in text]


def watched(browser: Any, image_server: str) -> Watched:
    """A page whose failures are collected, and whose image requests answered are noted."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    seen = Watched(page, [], [], [])

    def answered(response: Any) -> None:
        if response.status >= 400:
            seen.problems.append(f"{response.status} {response.url}")
        elif response.url.startswith(f"{image_server}/image/"):
            seen.images.append(response.url)

    page.on("pageerror", lambda error: seen.problems.append(str(error)))
    page.on("response", answered)
    page.on("console", lambda m: m.type == "error" and seen.console.append(m.text))
    return seen


def _lists_the_transcription(seen: Watched, canvas: dict[str, Any]) -> list[str]:
    """The annotation ids Mirador lists for the canvas, once both its pages are loaded."""
    from playwright.sync_api import expect

    items = seen.page.locator("li[annotationid]")
    expect(items.first).to_be_visible(timeout=60_000)
    expected = sum(len(_json(ref["id"])["items"]) for ref in canvas["annotations"])
    expect(items).to_have_count(expected, timeout=60_000)
    ids: list[str] = items.evaluate_all("items => items.map(i => i.getAttribute('annotationid'))")
    return ids


def _tiles_requested(seen: Watched, service: str) -> list[str]:
    """Image requests of the service other than the whole image: tiles of a zoomed view."""
    return [
        url
        for url in seen.images
        if url.startswith(f"{service}/") and not url.startswith(f"{service}/full/")
    ]


@pytest.mark.timeout(900)
def test_mirador_from_npm_on_another_origin_shows_images_lines_and_words(
    exported: Exported, mirador: Path, browser: Any, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    site = tmp_path / "site"
    site.mkdir()
    shutil.copy(mirador / "dist" / "mirador.min.js", site / "mirador.min.js")
    (site / "index.html").write_text(INDEX)
    first = exported.manifest["items"][0]
    service = first["items"][0]["items"][0]["body"]["service"][0]["id"]
    with serving_folder(site) as viewer_origin:
        assert viewer_origin != exported.stack.gateway_url
        seen = watched(browser, exported.image_server)
        seen.page.goto(f"{viewer_origin}/index.html?manifest={quote(exported.manifest_url)}")

        # The image through its service: its info.json, then its tiles once zoomed in.
        seen.page.wait_for_function(
            "() => document.querySelector('.openseadragon-canvas canvas') !== null",
            timeout=60_000,
        )
        zoom = seen.page.get_by_role("button", name="Zoom in")
        expect(zoom).to_be_visible(timeout=60_000)
        deadline = time.monotonic() + 60
        while not _tiles_requested(seen, service) and time.monotonic() < deadline:
            zoom.click()
            seen.page.wait_for_timeout(500)
        assert f"{service}/info.json" in seen.images
        assert _tiles_requested(seen, service), seen.images

        # A reader opens the annotations panel: every line and word of the canvas is listed.
        seen.page.get_by_role("button", name="Toggle sidebar").click()
        seen.page.get_by_role("tab", name="Annotations").click()
        ids = _lists_the_transcription(seen, first)
        assert any("/annotations/" in i for i in ids)
        assert any("/word-annotations/" in i for i in ids)
        panel = seen.page.locator("li[annotationid]")
        assert panel.first.inner_text().strip()
        ARTIFACTS.mkdir(exist_ok=True)
        seen.page.screenshot(path=str(ARTIFACTS / "mirador-viewer.png"))
        assert seen.problems == []


@pytest.mark.timeout(900)
def test_the_dashboard_opens_a_manuscript_in_its_own_mirador_with_the_transcription(
    exported: Exported, browser: Any
) -> None:
    from playwright.sync_api import expect

    seen = watched(browser, exported.image_server)
    seen.page.goto(f"{exported.stack.gateway_url}/#/manuscript/{exported.manuscript_id}")
    link = seen.page.get_by_role("link", name="open in Mirador")
    expect(link).to_be_visible(timeout=60_000)
    link.click()
    seen.page.wait_for_url(re.compile(r"/viewer\?manifest="))

    # Configured by the dashboard: the annotations panel open, every annotation drawn.
    first = exported.manifest["items"][0]
    ids = _lists_the_transcription(seen, first)
    assert len(ids) > len(first["annotations"])
    scripts: list[str] = seen.page.evaluate(
        "() => [...document.scripts].map(s => s.src).filter(Boolean)"
    )
    assert all(s.startswith(exported.stack.gateway_url) for s in scripts), scripts
    ARTIFACTS.mkdir(exist_ok=True)
    seen.page.screenshot(path=str(ARTIFACTS / "dashboard-mirador.png"))
    assert seen.problems == []
    assert seen.refused() == []
