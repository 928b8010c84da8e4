"""The dashboard in a real browser (Debian's chromium, driven by Playwright) over the whole stack.

The page is opened before the import is submitted: everything it shows afterwards must arrive
through the live feed, in the same page load. Screenshots land in `test-artifacts/`.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import asyncpg
import httpx
import pytest
import uvicorn

from contracts import EngineStep, Plan
from gateway.adapters.api_keys import create_api_key
from gateway.bootstrap import create_gateway_app
from gateway.settings import GatewaySettings
from infra.embedded.process import free_port
from infra.eventstore import asyncpg_dsn
from infra.settings import Settings
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


def _consumer_names(gateway_url: str) -> list[str]:
    answer = httpx.get(f"{gateway_url}/v1/consumers", timeout=10)
    assert answer.status_code == 200, answer.text
    return [consumer["name"] for consumer in answer.json()["items"]]


def _refreshes(section: Any) -> int:
    return int(section.get_attribute("data-refreshes") or 0)


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


def watched(browser: Any, problems: list[str]) -> Any:
    """A new page whose script errors and failed requests are collected in `problems`."""
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on(
        "response",
        lambda response: (
            response.status >= 400 and problems.append(f"{response.status} {response.url}")
        ),
    )
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    return page


@pytest.mark.timeout(600)
def test_a_browser_sees_an_import_progress_live_and_a_page_with_its_overlays(
    browser: Any, stack: Stack
) -> None:
    from playwright.sync_api import expect

    ARTIFACTS.mkdir(exist_ok=True)
    problems: list[str] = []
    plan = Plan(primary=EngineStep(engine="tesseract", languages=["eng"]))
    client = GatewayClient(stack.gateway_url)
    page = watched(browser, problems)

    with serving(generated_pages(PAGES), "Dashboard sample") as manifest_url:
        try:
            # Open the dashboard first and mark this page load: a reload would lose the mark.
            page.goto(f"{stack.gateway_url}/")
            expect(page.locator("#feed-state")).to_have_text("live", timeout=15_000)
            page.evaluate("window.sameLoad = true")

            # Every durable consumer of the running stack, with its lag, as JetStream has them.
            lag = page.locator("section.consumers")
            consumers = sorted(_consumer_names(stack.gateway_url))
            assert {name.split("-")[0] for name in consumers} == {"ingest", "analyzer", "exporter"}
            expect(lag.locator("td.consumer-name")).to_have_text(consumers, timeout=15_000)
            for column in ("pending", "ack-pending"):
                expect(lag.locator(f"td.consumer-{column}")).to_have_text(
                    [re.compile(r"^\d+$")] * len(consumers)
                )
            lag_refreshes = _refreshes(lag)

            # Submit the import; its job appears and its bars advance without a reload.
            corpus_id = client.ensure_corpus("dashboard", "Dashboard test")
            job_id = str(client.import_manifest(corpus_id, manifest_url, plan)["job_id"])
            card = page.locator(f'article.job[data-job="{job_id}"]')
            card.wait_for(timeout=30_000)
            samples = _follow_progress(page, job_id, timeout=300)
            totals = [sum(sample.values()) for sample in samples]
            # At least the first state seen and the last: the bars moved without a reload.
            assert len(samples) >= 2, samples
            assert totals == sorted(totals), samples
            assert totals[0] < totals[-1], samples
            assert samples[-1]["failed"] == 0
            # The lag was read again while the import ran, without a reload.
            page.wait_for_function(
                "n => Number(document.querySelector('section.consumers').dataset.refreshes) > n",
                arg=lag_refreshes,
                timeout=30_000,
            )
            expect(lag.locator("td.consumer-name")).to_have_text(consumers)
            page.screenshot(path=str(ARTIFACTS / "dashboard-overview.png"), full_page=True)

            # The manuscript's grid: one thumbnail per page, each exported, its image loaded.
            card.locator("a.job-pages").click()
            exported = page.locator(".grid a.thumb.status-exported")
            expect(exported).to_have_count(PAGES, timeout=30_000)
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
            expect(page.locator(".transcription")).to_contain_text("Recto")
            expect(page.locator(".history")).to_contain_text("page.exported")
            expect(page.locator("a.download", has_text="alto")).to_have_count(1)
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
            page.close()
            client.close()
    assert problems == []


@pytest.fixture
def secured_gateway(database_url: str, tmp_path: Path) -> Iterator[str]:
    """The gateway alone, with API keys required, served by uvicorn on a loopback port."""
    # Loopback sources are allowed: a test imports from 127.0.0.1, which no service fetches.
    settings = Settings(
        database_url=database_url,
        nats_url=None,
        artifacts=tmp_path / "artifacts",
        fetch_allow="127.0.0.1",
    )
    app = create_gateway_app(settings, GatewaySettings(auth="on", feed_heartbeat_seconds=1.0))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive(), "the gateway stopped while starting"
        assert time.monotonic() < deadline, "the gateway did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(20)


async def _keys(database_url: str, corpus_id: UUID | None = None) -> list[str]:
    """An admin key and a read key limited to `corpus_id` (when given)."""
    pool = await asyncpg.create_pool(asyncpg_dsn(database_url), min_size=1, max_size=2)
    try:
        admin = await create_api_key(pool, ["admin"])
        limited = await create_api_key(pool, ["read"], [corpus_id] if corpus_id else None)
        return [admin, limited]
    finally:
        await pool.close()


@pytest.fixture
def keys(secured_gateway: str, database_url: str) -> tuple[str, str, str]:
    """An admin key, a corpus it created, and a read key limited to that corpus."""
    admin, _ = asyncio.run(_keys(database_url))
    created = httpx.post(
        f"{secured_gateway}/v1/corpora",
        json={"slug": "keyed", "title": "Keyed corpus"},
        headers={"X-API-Key": admin},
    )
    assert created.status_code == 202, created.text
    corpus_id = created.json()["id"]
    return admin, corpus_id, asyncio.run(_keys(database_url, UUID(corpus_id)))[1]


def test_a_gateway_with_keys_asks_for_one_and_follows_the_feed_of_its_corpora(
    secured_gateway: str, keys: tuple[str, str, str], browser: Any
) -> None:
    from playwright.sync_api import expect

    admin, corpus_id, limited = keys
    problems: list[str] = []
    page = watched(browser, problems)
    try:
        # Without a key the dashboard asks for one instead of showing an error.
        page.goto(f"{secured_gateway}/")
        expect(page.locator("#key-form")).to_be_visible()
        expect(page.locator("#view")).to_contain_text("needs an API key")
        # A key limited to one corpus may not follow the whole feed: it follows its corpus.
        page.fill("#key-input", limited)
        page.click("#key-form button")
        expect(page.locator("#feed-state")).to_have_text("live", timeout=15_000)
        expect(page.locator(".corpora")).to_contain_text("Keyed corpus", timeout=15_000)
        expect(page.locator("#key-form")).to_be_hidden()
        # This gateway has no NATS: the lag section says so instead of asking and failing.
        expect(page.locator("section.consumers")).to_contain_text("not connected to NATS")
        # An import into that corpus reaches the page through the corpus's feed.
        accepted = httpx.post(
            f"{secured_gateway}/v1/corpora/{corpus_id}/imports",
            json={"source": {"kind": "iiif", "url": "http://127.0.0.1:9/manifest.json"}},
            headers={"X-API-Key": admin},
        )
        assert accepted.status_code == 202, accepted.text
        job = page.locator(f'article.job[data-job="{accepted.json()["job_id"]}"]')
        expect(job).to_be_visible(timeout=15_000)
        # The key is remembered across a reload, and forgotten on request.
        page.reload()
        expect(page.locator("#feed-state")).to_have_text("live", timeout=15_000)
        page.click("#key-forget")
        expect(page.locator("#key-form")).to_be_visible()
        assert page.evaluate("localStorage.getItem('recto.apiKey')") is None
    finally:
        page.close()
    # Only the first, keyless requests were refused.
    assert problems
    assert all("401" in problem for problem in problems), problems


@pytest.fixture
def admin_key(secured_gateway: str, database_url: str) -> str:
    """An admin key made in the database (the first key always is), beside a read key."""
    return asyncio.run(_keys(database_url))[0]


def test_an_admin_creates_a_key_copies_it_once_and_revokes_it(
    secured_gateway: str, admin_key: str, browser: Any
) -> None:
    from playwright.sync_api import expect

    admin = admin_key
    admin_id = admin.split("_")[1]
    problems: list[str] = []
    context = browser.new_context(
        viewport={"width": 1280, "height": 1000}, permissions=["clipboard-read", "clipboard-write"]
    )
    # The admin's key is the dashboard's from the first request (as after "Use key").
    context.add_init_script(f"localStorage.setItem('recto.apiKey', {json.dumps(admin)})")
    page = context.new_page()
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on(
        "response",
        lambda response: (
            response.status >= 400 and problems.append(f"{response.status} {response.url}")
        ),
    )
    try:
        page.goto(f"{secured_gateway}/")
        page.click("#keys-link")
        expect(page.locator("table.keys tbody tr")).to_have_count(2, timeout=15_000)

        # A name the gateway refuses: its precise reason is shown, nothing is created.
        page.fill("#key-name", " Ada")
        page.click("form.key-create button[type=submit]")
        expect(page.locator(".key-problems")).to_contain_text("name: Value error, a key name may")
        expect(page.locator("table.keys tbody tr")).to_have_count(2)

        # Created: the secret is shown once, copied to the clipboard, and it works.
        page.fill("#key-name", "Ada Lovelace")
        page.select_option("#key-scope", "write")
        page.click("form.key-create button[type=submit]")
        shown = page.locator(".secret-once code.secret")
        expect(shown).to_be_visible(timeout=15_000)
        secret = shown.inner_text().strip()
        page.click(".secret-once .copy-secret")
        expect(page.locator(".secret-once .copy-secret")).to_have_text("Copied")
        assert page.evaluate("navigator.clipboard.readText()") == secret
        works = httpx.get(f"{secured_gateway}/v1/corpora", headers={"X-API-Key": secret})
        assert works.status_code == 200
        row = page.locator('table.keys tr[data-name="Ada Lovelace"]')
        expect(row).to_contain_text("active")
        expect(row).to_contain_text(f"bootstrap/{admin_id}")
        page.screenshot(path=str(ARTIFACTS / "dashboard-keys.png"), full_page=True)

        # Reloaded, the page shows the key but never its secret again, nor kept it anywhere.
        page.reload()
        expect(row).to_contain_text("active", timeout=15_000)
        expect(page.locator(".secret-once")).to_have_count(0)
        assert secret not in page.content()
        assert secret not in page.evaluate("JSON.stringify({...localStorage, ...sessionStorage})")

        # Revoked after a confirmation: refused from then on.
        page.once("dialog", lambda dialog: dialog.accept())
        row.locator("button.revoke").click()
        expect(row).to_contain_text("revoked", timeout=15_000)
        expect(row.locator("button.revoke")).to_be_hidden()
        refused = httpx.get(f"{secured_gateway}/v1/corpora", headers={"X-API-Key": secret})
        assert refused.status_code == 401
    finally:
        context.close()
    # The refused name was the only request that failed.
    assert [p for p in problems if not p.startswith("422 ")] == []
    assert len(problems) == 1
