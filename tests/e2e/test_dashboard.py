"""The dashboard in a real browser (Debian's chromium, driven by Playwright) over the whole stack.

The page is opened before the import is submitted: everything it shows afterwards must arrive
through the live feed, in the same page load. Screenshots land in `test-artifacts/`.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from contracts import EngineStep, Plan
from recto.client import GatewayClient
from recto.sample.iiif_server import serving
from recto.sample.pages import generated_pages
from recto.stack import Stack, running_stack

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PAGES = 6
STAGES = ("registered", "normalised", "analyzed", "exported", "failed")


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    # Under /tmp and world-traversable: the embedded PostgreSQL runs as nobody when root.
    state_dir = Path(tempfile.mkdtemp(prefix="recto-dashboard-", dir="/tmp"))
    state_dir.chmod(0o755)
    try:
        with running_stack(
            state_dir, extra_env={"RECTO_AUTH": "off", "RECTO_FETCH_ALLOW": "127.0.0.1"}
        ) as running:
            yield running
    finally:
        shutil.rmtree(state_dir, ignore_errors=True)


def test_the_dashboard_is_served_offline_and_stays_out_of_the_api_schema(stack: Stack) -> None:
    with httpx.Client(base_url=stack.gateway_url, timeout=10) as http:
        index = http.get("/")
        script = http.get("/dashboard/app.js")
        schema = http.get("/openapi.json").json()
        missing = http.get("/dashboard/nothing-here.js")

    assert index.status_code == 200
    assert index.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in index.headers["content-security-policy"]
    assert '<script type="module" src="/dashboard/app.js">' in index.text
    # Offline: no page or module loads anything from another origin.
    assert "http://" not in index.text
    assert "https://" not in index.text
    assert script.status_code == 200
    assert "javascript" in script.headers["content-type"]
    assert missing.status_code == 404
    assert "/" not in schema["paths"]
    assert not [path for path in schema["paths"] if path.startswith("/dashboard")]


def _stage_values(page: Any, job_id: str) -> dict[str, float]:
    values: dict[str, float] = page.evaluate(
        """job => Object.fromEntries(
               [...document.querySelectorAll(`article.job[data-job="${job}"] progress.stage-bar`)]
                   .map(bar => [bar.dataset.stage, bar.value]))""",
        job_id,
    )
    return values


def _follow_progress(page: Any, job_id: str, timeout: float) -> list[dict[str, float]]:
    """Every distinct state of the job's bars, sampled until all pages are exported."""
    samples: list[dict[str, float]] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        values = _stage_values(page, job_id)
        if values and (not samples or values != samples[-1]):
            samples.append(values)
        if values.get("exported") == PAGES:
            return samples
        page.wait_for_timeout(100)
    raise AssertionError(f"the job's bars stopped at {samples[-1:]}")


@pytest.mark.timeout(600)
def test_a_browser_sees_an_import_progress_live_and_a_page_with_its_overlays(stack: Stack) -> None:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (make system installs it)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is a dev dependency")
    ARTIFACTS.mkdir(exist_ok=True)
    problems: list[str] = []
    plan = Plan(primary=EngineStep(engine="tesseract", languages=["eng"]))
    client = GatewayClient(stack.gateway_url)

    with (
        serving(generated_pages(PAGES), "Dashboard sample") as manifest_url,
        sync_api.sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            page.on("pageerror", lambda error: problems.append(str(error)))
            page.on(
                "response",
                lambda response: (
                    response.status >= 400 and problems.append(f"{response.status} {response.url}")
                ),
            )
            page.on(
                "console",
                lambda message: message.type == "error" and problems.append(message.text),
            )
            # Open the dashboard first and mark this page load: a reload would lose the mark.
            page.goto(f"{stack.gateway_url}/")
            sync_api.expect(page.locator("#feed-state")).to_have_text("live", timeout=15_000)
            page.evaluate("window.sameLoad = true")

            # Submit the import; its job appears and its bars advance without a reload.
            corpus_id = client.ensure_corpus("dashboard", "Dashboard test")
            job_id = str(client.import_manifest(corpus_id, manifest_url, plan)["job_id"])
            card = page.locator(f'article.job[data-job="{job_id}"]')
            card.wait_for(timeout=30_000)
            samples = _follow_progress(page, job_id, timeout=300)
            totals = [sum(sample.values()) for sample in samples]
            assert len(samples) >= 3, samples
            assert totals == sorted(totals), samples
            assert totals[0] < totals[-1], samples
            assert samples[-1]["failed"] == 0
            page.screenshot(path=str(ARTIFACTS / "dashboard-overview.png"), full_page=True)

            # The manuscript's grid: one thumbnail per page, each exported, its image loaded.
            card.locator("a.job-pages").click()
            exported = page.locator(".grid a.thumb.status-exported")
            sync_api.expect(exported).to_have_count(PAGES, timeout=30_000)
            page.wait_for_function(
                "() => [...document.querySelectorAll('.thumb img')]"
                ".filter(img => img.complete && img.naturalWidth > 0).length === "
                f"{PAGES}",
                timeout=30_000,
            )
            page.screenshot(path=str(ARTIFACTS / "dashboard-manuscript.png"), full_page=True)

            # A page: its regions and lines drawn over the image, scaled to it; its text.
            exported.first.click()
            lines = page.locator("svg.overlay polyline.line")
            lines.first.wait_for(state="attached", timeout=30_000)
            assert page.locator("svg.overlay .region").count() >= 1
            assert lines.count() >= 3
            sync_api.expect(page.locator(".transcription")).to_contain_text("Recto")
            sync_api.expect(page.locator(".history")).to_contain_text("page.exported")
            sync_api.expect(page.locator("a.download", has_text="alto")).to_have_count(1)
            page.wait_for_function("() => document.querySelector('.page-image').naturalWidth > 0")
            image = page.locator(".page-image").bounding_box()
            assert image is not None
            assert image["width"] < 1400  # displayed smaller than the master: overlays scale
            for index in range(lines.count()):
                box = lines.nth(index).bounding_box()
                assert box is not None
                assert image["x"] - 1 <= box["x"] <= image["x"] + image["width"], box
                assert box["x"] + box["width"] <= image["x"] + image["width"] + 1, box
                assert image["y"] - 1 <= box["y"] <= image["y"] + image["height"], box
                assert box["y"] + box["height"] <= image["y"] + image["height"] + 1, box
            page.screenshot(path=str(ARTIFACTS / "dashboard-page.png"), full_page=True)

            # Still the page load the import started in.
            assert page.evaluate("window.sameLoad") is True
            assert page.evaluate("performance.getEntriesByType('navigation').length") == 1
        finally:
            browser.close()
            client.close()
    assert problems == []
