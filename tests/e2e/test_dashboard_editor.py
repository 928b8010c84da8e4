"""The dashboard as an editor's tool, in a real browser (Debian's chromium under Playwright)
over the whole stack with API keys on: correct a line, judge the page, compare versions,
adopt a machine candidate, see another editor's work arrive live; create a corpus, import
into it, cancel and retry jobs; search. Screenshots land in `test-artifacts/`.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import httpx
import pytest
from lxml import etree

from contracts import EngineStep, Plan
from gateway.adapters.api_keys import create_api_key
from infra.eventstore import asyncpg_dsn
from recto.client import GatewayClient
from recto.sample.iiif_server import serving
from recto.sample.pages import generated_pages
from recto.stack import Stack, running_stack

from .dashboard_kit import (
    ARTIFACTS,
    CHROMIUM,
    FLAGS,
    Watched,
    make_key,
    publishing,
    watched,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PLAN = Plan(primary=EngineStep(engine="tesseract", languages=["eng"]))
T = TypeVar("T")


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    # Under /tmp and world-traversable: the embedded PostgreSQL runs as nobody when root.
    state_dir = Path(tempfile.mkdtemp(prefix="recto-editor-", dir="/tmp"))
    state_dir.chmod(0o755)
    try:
        with running_stack(
            state_dir,
            extra_env={"RECTO_AUTH": "on", "RECTO_FETCH_ALLOW": "127.0.0.1"},
        ) as running:
            yield running
    finally:
        shutil.rmtree(state_dir, ignore_errors=True)


async def _first_admin_key(database_url: str) -> str:
    pool = await asyncpg.create_pool(asyncpg_dsn(database_url), min_size=1, max_size=1)
    try:
        return await create_api_key(pool, ["admin"])
    finally:
        await pool.close()


@pytest.fixture(scope="module")
def admin(stack: Stack) -> str:
    return asyncio.run(_first_admin_key(stack.database_url))


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


def until(found: Callable[[], T | None], what: str, timeout: float = 120) -> T:
    """Poll `found` until it answers something, or fail saying what never came."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answer = found()
        if answer:
            return answer
        time.sleep(0.2)
    raise AssertionError(f"{what} did not happen within {timeout} s")


def imported_page(stack: Stack, admin: str, slug: str) -> str:
    """One sample page imported, analyzed and exported; its id."""
    client = GatewayClient(stack.gateway_url, api_key=admin)
    try:
        with serving(generated_pages(1), "Editor sample") as manifest_url:
            corpus_id = client.ensure_corpus(slug, f"Editor test {slug}")
            job_id = str(client.import_manifest(corpus_id, manifest_url, PLAN)["job_id"])

            def finished() -> dict[str, Any] | None:
                # The job's read model is projected from the log: at first it may not exist.
                response = client.http.get(f"/jobs/{job_id}")
                job: dict[str, Any] = response.json()
                return job if response.is_success and job["status"] in ("done", "failed") else None

            job = until(finished, "the sample import")
        assert job["counts"]["exported"] == 1, job
        [page] = client.pages(str(job["manuscript_id"]))
        return str(page["id"])
    finally:
        client.close()


def alto_lines(stack: Stack, href: str) -> list[str]:
    """The text of each TextLine of the ALTO behind a link taken from the page."""
    response = httpx.get(f"{stack.gateway_url}{href}", timeout=30)
    assert response.status_code == 200, response.text
    root = etree.fromstring(response.content)
    return [
        " ".join(s.get("CONTENT", "") for s in line.iter("{*}String"))
        for line in root.iter("{*}TextLine")
    ]


def line_text(editor: Watched, line_id: str) -> Any:
    return editor.page.locator(f'.transcription li[data-line="{line_id}"] .transcription-line')


@pytest.mark.timeout(900)
def test_an_edit_is_saved_versioned_exported_and_seen_live_by_another_editor(
    browser: Any, stack: Stack, admin: str
) -> None:
    from playwright.sync_api import expect

    ARTIFACTS.mkdir(exist_ok=True)
    page_id = imported_page(stack, admin, "editions")
    ada = watched(browser, make_key(stack.gateway_url, admin, "Ada Lovelace"))
    grace = watched(browser, make_key(stack.gateway_url, admin, "Grace Hopper"))
    try:
        # Both editors open the page; Grace's page load is marked: a reload would lose it.
        for editor in (ada, grace):
            editor.page.goto(f"{stack.gateway_url}/#/page/{page_id}")
            expect(editor.page.locator("#feed-state")).to_have_text("live", timeout=15_000)
            expect(line_text(editor, "line_2")).to_contain_text("Recto turns", timeout=30_000)
        grace.page.evaluate("window.sameLoad = true")
        machine_line_2 = line_text(ada, "line_2").inner_text()
        machine_line_3 = line_text(ada, "line_3").inner_text()

        # Grace starts on line 3 with the keyboard, and is still typing when Ada saves.
        line_text(grace, "line_3").focus()
        grace.page.keyboard.press("Enter")
        grace_input = grace.page.locator(".line-editor .line-text")
        expect(grace_input).to_be_focused()
        grace_input.fill("into validated, searchable transcriptions (Grace).")

        # Ada clicks line 2 on the image, corrects it and saves with Enter.
        ada.page.locator('svg.overlay polyline.line[data-line="line_2"]').click()
        ada_input = ada.page.get_by_label("Text of line line_2")
        ada_input.fill("Recto turns digitised manuscripts and early printed books")
        ada.page.get_by_label("Reason (optional, kept in the history)").fill("a word was missing")
        ada_input.press("Enter")
        expect(ada.page.locator(".editor-outcome")).to_contain_text("Saved line line_2")
        saved_version = int(
            ada.page.locator(".editor-outcome").inner_text().rsplit(" ", 1)[1].rstrip(".")
        )

        # Her version is in the history, with who made it, why, and its CER.
        row = ada.page.locator(f'.version-list tr[data-version="{saved_version}"]')
        expect(row).to_contain_text("Ada Lovelace", timeout=15_000)
        expect(row).to_contain_text("page.corrected")
        expect(row).to_contain_text("a word was missing")
        expect(row).to_contain_text("%")
        expect(ada.page.locator(".history")).to_contain_text("page.corrected")

        # Grace sees it without a reload, and that her line changed under her is not hidden.
        expect(line_text(grace, "line_2")).to_have_text(
            "Recto turns digitised manuscripts and early printed books", timeout=15_000
        )
        expect(
            grace.page.locator(f'.version-list tr[data-version="{saved_version}"]')
        ).to_be_attached()
        grace.page.screenshot(path=str(ARTIFACTS / "dashboard-editor-live.png"), full_page=True)

        # Her save was made against the version she read: refused, her text kept, reloaded.
        grace_input.press("Enter")
        conflict = grace.page.locator(".line-editor .conflict")
        expect(conflict).to_contain_text("Someone else changed this page")
        expect(grace_input).to_have_value("into validated, searchable transcriptions (Grace).")
        grace.page.screenshot(path=str(ARTIFACTS / "dashboard-editor-conflict.png"), full_page=True)
        conflict.get_by_role("button", name="Reload the page’s text").click()
        expect(grace.page.locator(".line-now")).to_contain_text("Reloaded at version")
        grace_input.press("Enter")
        expect(grace.page.locator(".editor-outcome")).to_contain_text("Saved line line_3")
        expect(line_text(ada, "line_3")).to_have_text(
            "into validated, searchable transcriptions (Grace).", timeout=15_000
        )

        # The exports are made again from the current text: the ALTO linked from the page.
        expect(ada.page.locator(".exports-state")).to_have_text(
            "The exports are those of the current text.", timeout=60_000
        )
        href = ada.page.locator("a.download", has_text="alto").get_attribute("href")
        assert href

        def corrected_alto() -> list[str] | None:
            lines = alto_lines(stack, href)
            return lines if "into validated, searchable transcriptions (Grace)." in lines else None

        lines = until(corrected_alto, "the ALTO with both corrections")
        assert "Recto turns digitised manuscripts and early printed books" in lines
        assert machine_line_2 not in lines

        # Ada moves the page on to review; Grace's dashboard follows.
        ada.page.get_by_role("button", name="Mark needs review").click()
        for editor in (ada, grace):
            expect(editor.page.locator(".status-steps li.current")).to_have_text(
                "needs review", timeout=15_000
            )

        # The diff of Ada's version: line 2 before and after, with the page's CER and WER.
        ada.page.locator(f'.version-list tr[data-version="{saved_version}"] button').click()
        diff = ada.page.locator(".diff")
        expect(diff).to_contain_text("CER")
        expect(diff).to_contain_text("WER")
        expect(diff.locator("tr.change-changed del")).to_have_text(machine_line_2)
        expect(diff.locator("tr.change-changed ins")).to_have_text(
            "Recto turns digitised manuscripts and early printed books"
        )
        ada.page.screenshot(path=str(ARTIFACTS / "dashboard-editor.png"), full_page=True)

        # The machine reads the page again: a candidate, not the text; Ada takes line 2 back.
        rerun = httpx.post(
            f"{stack.gateway_url}/v1/jobs",
            json={"kind": "analyze", "page_ids": [page_id], "plan": PLAN.model_dump(mode="json")},
            headers={"X-API-Key": admin},
            timeout=30,
        )
        assert rerun.status_code == 202, rerun.text
        candidate = ada.page.locator("article.candidate")
        expect(candidate).to_be_visible(timeout=120_000)
        expect(candidate.locator("li.change-changed")).to_have_count(2)
        candidate.locator('input[value="line_2"]').check()
        candidate.get_by_role("button", name="Adopt the chosen lines").click()
        for editor in (ada, grace):
            expect(line_text(editor, "line_2")).to_have_text(machine_line_2, timeout=15_000)
            expect(line_text(editor, "line_3")).to_have_text(
                "into validated, searchable transcriptions (Grace)."
            )
        expect(ada.page.locator(".version-list")).to_contain_text("page.candidate_adopted")
        assert machine_line_3 != "into validated, searchable transcriptions (Grace)."
        ada.page.screenshot(path=str(ARTIFACTS / "dashboard-editor-adopted.png"), full_page=True)

        # Grace never reloaded.
        assert grace.page.evaluate("window.sameLoad") is True
        assert grace.page.evaluate("performance.getEntriesByType('navigation').length") == 1
    finally:
        ada.context.close()
        grace.context.close()
    assert ada.unexpected() == []
    # Only Grace's stale save was refused.
    assert grace.unexpected("/corrections") == []
    assert [p for p in grace.problems if p.startswith("409 ")] == [
        f"409 {stack.gateway_url}/v1/pages/{page_id}/corrections"
    ]


def _stage(card: Any, stage: str) -> float:
    value: float = card.locator(f'progress[data-stage="{stage}"]').evaluate("bar => bar.value")
    return value


@pytest.mark.timeout(900)
def test_a_corpus_is_created_imported_into_and_its_jobs_cancelled_and_retried(
    browser: Any, stack: Stack, admin: str
) -> None:
    from playwright.sync_api import expect

    ARTIFACTS.mkdir(exist_ok=True)
    editor = watched(browser, make_key(stack.gateway_url, admin, "Operator", "admin"))
    page = editor.page
    try:
        page.goto(f"{stack.gateway_url}/")
        expect(page.locator("#feed-state")).to_have_text("live", timeout=15_000)

        # A corpus from the overview; a slug the gateway refuses is explained, not created.
        page.get_by_text("New corpus", exact=True).first.click()
        page.get_by_label("title").fill("Letters")
        page.get_by_label("slug (a-z, 0-9, -)").fill("Letters!")
        page.get_by_role("button", name="Create corpus").click()
        expect(page.locator("form.new-corpus .problems")).to_contain_text(
            "slug: String should match"
        )
        page.get_by_label("slug (a-z, 0-9, -)").fill("letters")
        page.get_by_role("button", name="Create corpus").click()
        expect(page.locator("form.new-corpus .form-outcome")).to_contain_text("Corpus created")
        page.locator(".corpora a", has_text="Letters").click()
        expect(page.locator("h2")).to_contain_text("Letters (letters", timeout=15_000)

        # A manifest imported from its URL: the job's bars advance to the end, live.
        with serving(generated_pages(3), "Three letters") as manifest_url:
            page.get_by_label("manifest URL").fill(manifest_url)
            page.get_by_role("button", name="Import", exact=True).click()
            outcome = page.locator("form.import-manifest .form-outcome")
            expect(outcome).to_contain_text("accepted")
            job_id = outcome.inner_text().split()[1]
            card = page.locator(f'article.job[data-job="{job_id}"]')
            expect(card).to_be_visible(timeout=30_000)
            until(lambda: _stage(card, "exported") == 3, "the three letters' export", 300)
            expect(card.locator(".job-status")).to_have_text("done", timeout=30_000)
            expect(card.get_by_role("button", name="Cancel")).to_be_hidden()
            expect(card.get_by_role("button", name="Retry failed pages")).to_be_hidden()

        # Images uploaded from the browser become a manuscript of their own.
        [scan] = generated_pages(1)
        page.get_by_label("images", exact=True).set_input_files(
            [{"name": "scan.png", "mimeType": "image/png", "buffer": scan.data}]
        )
        page.get_by_label("label (optional)").fill("A scanned letter")
        page.get_by_role("button", name="Upload").click()
        uploaded = page.locator("form.upload-images .form-outcome")
        expect(uploaded).to_contain_text("accepted")
        card = page.locator(f'article.job[data-job="{uploaded.inner_text().split()[1]}"]')
        expect(card).to_be_visible(timeout=30_000)
        until(lambda: _stage(card, "exported") == 1, "the uploaded page's export", 300)
        expect(page.locator("table.manuscripts")).to_contain_text("A scanned letter")

        # A page whose image is missing fails; once it is back, Retry brings it home.
        with publishing(generated_pages(2), "A torn letter") as publisher:
            publisher.broken.add("p02")
            page.get_by_label("manifest URL").fill(publisher.url)
            page.get_by_role("button", name="Import", exact=True).click()
            expect(outcome).to_contain_text("accepted")
            job_id = outcome.inner_text().split()[1]
            card = page.locator(f'article.job[data-job="{job_id}"]')
            expect(card.locator(".job-status")).to_have_text("done", timeout=120_000)
            expect(card.locator(".job-error")).to_contain_text("ingest")
            assert _stage(card, "failed") == 1
            publisher.broken.clear()
            card.get_by_role("button", name="Retry failed pages").click()
            expect(card.locator(".job-note")).to_have_text("1 page sent again")
            until(lambda: _stage(card, "exported") == 2, "the retried page's export", 300)
            expect(card.locator(".job-status")).to_have_text("done", timeout=30_000)
            until(lambda: _stage(card, "failed") == 0, "the failure to be counted off", 30)
            expect(card.get_by_role("button", name="Retry failed pages")).to_be_hidden()

        # A job whose images are held back is cancelled; a cancelled job cannot be retried.
        with publishing(generated_pages(2), "A slow letter") as publisher:
            publisher.released.clear()
            page.get_by_label("manifest URL").fill(publisher.url)
            page.get_by_role("button", name="Import", exact=True).click()
            expect(outcome).to_contain_text("accepted")
            job_id = outcome.inner_text().split()[1]
            card = page.locator(f'article.job[data-job="{job_id}"]')
            cancel = card.get_by_role("button", name="Cancel")
            expect(cancel).to_be_visible(timeout=30_000)
            page.once("dialog", lambda dialog: dialog.accept())
            cancel.click()
            expect(card.locator(".job-note")).to_have_text("cancel requested")
            expect(card.locator(".job-status")).to_have_text("cancelled", timeout=30_000)
            expect(cancel).to_be_hidden()
            page.screenshot(path=str(ARTIFACTS / "dashboard-jobs.png"), full_page=True)
            publisher.released.set()
        refused = httpx.post(
            f"{stack.gateway_url}/v1/jobs/{job_id}/retry", headers={"X-API-Key": admin}, timeout=30
        )
        assert refused.status_code == 409
    finally:
        editor.context.close()
    # Only the refused slug was refused.
    assert editor.unexpected("/v1/corpora") == []
    assert [p for p in editor.problems if p[:1].isdigit()] == [
        f"422 {stack.gateway_url}/v1/corpora"
    ]


def test_a_snippet_shows_its_marks_and_nothing_else_of_its_markup(
    browser: Any, stack: Stack, admin: str
) -> None:
    editor = watched(browser, admin)
    try:
        editor.page.goto(f"{stack.gateway_url}/")
        shown = editor.page.evaluate(
            """async () => {
                const { snippetNodes } = await import("/dashboard/views/snippet.js");
                const holder = document.createElement("p");
                document.body.append(holder);
                holder.append(...snippetNodes(
                  '<img src=x onerror="window.owned=1">a &amp; <mark>b&lt;i&gt;</mark> '
                  + '<script>window.owned=2</script>&#x263A;<mark>c</mark>'));
                await new Promise((done) => setTimeout(done, 50));
                return {
                  marks: [...holder.querySelectorAll("mark")].map((m) => m.textContent),
                  elements: holder.querySelectorAll("*").length,
                  text: holder.textContent,
                  owned: window.owned ?? null,
                };
            }"""
        )
    finally:
        editor.context.close()
    assert shown == {
        "marks": ["b<i>", "c"],
        "elements": 2,
        "text": '<img src=x onerror="window.owned=1">a & b<i> <script>window.owned=2</script>☺c',
        "owned": None,
    }
    assert editor.unexpected() == []


@pytest.mark.timeout(600)
def test_a_search_lists_hits_that_open_their_line_in_the_editor(
    browser: Any, stack: Stack, admin: str
) -> None:
    from playwright.sync_api import expect

    probe = httpx.get(
        f"{stack.gateway_url}/v1/search", params={"q": "folio"}, headers={"X-API-Key": admin}
    )
    if probe.status_code == 404 and probe.json().get("detail") == "Not Found":
        pytest.skip("this gateway has no GET /v1/search yet (full-text search is built apart)")
    page_id = imported_page(stack, admin, "searched")
    editor = watched(browser, admin)
    try:
        editor.page.goto(f"{stack.gateway_url}/")
        expect(editor.page.locator("#feed-state")).to_have_text("live", timeout=15_000)
        # The index is a projection: the page's lines are found once it has caught up.
        search = editor.page.locator("#search-slot input[type=search]")
        hit = editor.page.locator(f'.search-hits .hit[data-page="{page_id}"]').first

        def found() -> bool:
            search.fill("digitised manuscripts")
            search.press("Enter")
            editor.page.locator(".search-hits[data-loaded]").wait_for(state="attached")
            return bool(hit.count() > 0)

        until(found, "the page's lines in the search index")
        expect(hit.locator("mark").first).to_be_visible()
        marked = [m.lower() for m in hit.locator("mark").all_inner_texts()]
        assert "digitised" in marked
        editor.page.screenshot(path=str(ARTIFACTS / "dashboard-search.png"), full_page=True)
        line_id = hit.get_attribute("data-line")
        hit.locator("a.hit-link").click()
        found_line = editor.page.locator(f'.transcription li.found[data-line="{line_id}"]')
        expect(found_line).to_contain_text("digitised", timeout=30_000)
        expect(
            editor.page.locator(f'svg.overlay .line.found[data-line="{line_id}"]')
        ).to_be_attached()
    finally:
        editor.context.close()
    assert editor.unexpected() == []
