"""Jobs that end the way they should: refused collections, retries from the failed stage,
cancels that stop work at the next stage, uploads with their profile, stalled pages swept.

The services run in-process on real PostgreSQL and NATS, the gateway over ASGI with its
projection, completion watcher and sweeper, and sources on a loopback HTTP server.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from uuid import UUID

import pytest

from analyzer.bootstrap import build as build_analyzer
from contracts import PageStageRerequested, job_stream
from exporter.bootstrap import build as build_exporter
from infra.eventstore import PostgresEventStore
from infra.service import ServiceParts
from infra.settings import Settings
from infra.testing.pipeline import eventually, running_consumers, running_services
from ingest.bootstrap import build as build_ingest
from recto.sample.pages import generated_pages

from .reliability_kit import Site, gateway_running, serving_site

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

NULL_PLAN: dict[str, Any] = {"primary": {"engine": "null"}}


@pytest.fixture
def site() -> Iterator[Site]:
    with serving_site() as served:
        yield served


@pytest.fixture
def loopback(settings: Settings) -> Settings:
    return settings.model_copy(update={"fetch_allow": "127.0.0.1"})


async def types_in(store: PostgresEventStore, stream: str) -> list[str]:
    return [e.type for e in await store.read_stream(stream)]


async def test_collections_in_a_cycle_or_too_deep_fail_their_job_with_the_reason(
    loopback: Settings, event_store: PostgresEventStore, site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RECTO_IMPORT_MAX_DEPTH", "1")
    site.manifest("/m.json", "/img/1.png")
    site.serve_image("/img/1.png", generated_pages(1)[0].data)
    # A collection that lists itself; A lists B, which lists A back; c0 > c1 > c2, too deep.
    site.collection("/self.json", ("/self.json", "Collection"), ("/m.json", "Manifest"))
    site.collection("/a.json", ("/b.json", "Collection"))
    site.collection("/b.json", ("/m.json", "Manifest"), ("/a.json", "Collection"))
    site.collection("/c0.json", ("/c1.json", "Collection"))
    site.collection("/c1.json", ("/c2.json", "Collection"))
    site.collection("/c2.json", ("/m.json", "Manifest"))

    async with (
        running_services(loopback, event_store, [build_ingest]),
        gateway_running(loopback) as gateway,
    ):
        corpus = await gateway.corpus("collections")
        jobs = {
            path: await gateway.import_url(corpus, site.url(path), NULL_PLAN)
            for path in ("/self.json", "/a.json", "/c0.json")
        }
        ended = {path: await gateway.job_when(job, "failed") for path, job in jobs.items()}

    reasons = {
        "/self.json": f"collection cycle: {site.url('/self.json')} lists "
        f"{site.url('/self.json')}, which is itself",
        "/a.json": f"collection cycle: {site.url('/b.json')} lists {site.url('/a.json')}, "
        "which is an ancestor",
        "/c0.json": f"collection too deep: {site.url('/c2.json')} is nested 2 levels below "
        f"{site.url('/c0.json')}; at most 1 (RECTO_IMPORT_MAX_DEPTH)",
    }
    for path, job in ended.items():
        assert job["import_error"] == reasons[path]
        assert job["counts"]["registered"] == 0
        assert job["finished_at"] is not None
        [completed] = [
            e.data
            for e in await event_store.read_stream(job_stream(jobs[path]))
            if e.type == "job.completed"
        ]
        assert (completed.status, completed.reason) == ("failed", reasons[path])  # type: ignore[attr-defined]
    # Each document was fetched once; nothing below a refusal was fetched or recorded.
    assert {p: site.count(p) for p in ("/self.json", "/a.json", "/b.json", "/c0.json")} == {
        "/self.json": 1,
        "/a.json": 1,
        "/b.json": 1,
        "/c0.json": 1,
    }
    assert (site.count("/c2.json"), site.count("/m.json")) == (1, 0)
    assert await event_store.read_all(types=["page.registered", "manuscript.imported"]) == []


async def test_a_page_failed_in_ingest_is_retried_from_ingest_and_counted_once(
    loopback: Settings, event_store: PostgresEventStore, site: Site
) -> None:
    image = generated_pages(1)[0].data
    site.manifest("/book.json", "/img/1.png", "/img/2.png")
    site.serve_image("/img/1.png", image)
    site.fail("/img/2.png", 404)

    async with (
        running_services(loopback, event_store, [build_ingest, build_analyzer, build_exporter]),
        gateway_running(loopback) as gateway,
    ):
        corpus = await gateway.corpus("retries")
        job_id = await gateway.import_url(corpus, site.url("/book.json"), NULL_PLAN)
        first = await gateway.job_when(job_id, "done")
        assert first["counts"] == {
            "registered": 2,
            "normalised": 1,
            "analyzed": 1,
            "exported": 1,
            "failed": 1,
        }
        [failure] = first["failed_pages"]
        assert failure["stage"] == "ingest"

        # The source is fixed; the retry runs the page again from ingest, not from analysis.
        site.serve_image("/img/2.png", image)
        response = await gateway.client.post(f"/v1/jobs/{job_id}/retry")
        assert response.status_code == 202, response.text
        assert response.json()["retried"] == [failure["page_id"]]

        async def exported_twice() -> bool:
            job = await gateway.job(job_id)
            return job["status"] == "done" and job["counts"]["exported"] == 2

        await eventually(exported_twice, timeout=60)
        final = await gateway.job(job_id)

    assert final["counts"] == {
        "registered": 2,
        "normalised": 2,
        "analyzed": 2,
        "exported": 2,
        "failed": 0,
    }
    assert final["failed_pages"] == []
    assert site.count("/img/2.png") == 2
    page_events = await types_in(event_store, f"page-{failure['page_id']}")
    assert page_events == [
        "page.registered",
        "page.ingest_failed",
        "page.stage_rerequested",
        "page.image_normalized",
        "page.analysis_started",
        "page.analyzed",
        "page.exported",
    ]
    job_events = await types_in(event_store, job_stream(job_id))
    assert job_events == ["job.created", "job.completed", "job.retried", "job.completed"]


async def test_a_cancel_sets_finished_at_and_a_page_in_flight_is_not_exported(
    loopback: Settings, event_store: PostgresEventStore, site: Site
) -> None:
    image = generated_pages(1)[0].data
    site.manifest("/book.json", "/img/1.png", "/img/2.png")
    site.serve_image("/img/1.png", image)
    site.serve_image("/img/2.png", image)
    assert loopback.nats_url is not None

    async with (
        running_services(loopback, event_store, [build_ingest, build_analyzer]),
        gateway_running(loopback) as gateway,
    ):
        corpus = await gateway.corpus("cancels")
        job_id = await gateway.import_url(corpus, site.url("/book.json"), NULL_PLAN)

        async def both_analyzed() -> bool:
            return len(await event_store.read_all(types=["page.analyzed"])) == 2

        await eventually(both_analyzed, timeout=60)
        # Analyzed, not exported yet (no exporter runs): the pages are in flight.
        response = await gateway.client.post(f"/v1/jobs/{job_id}/cancel", json={"reason": "stop"})
        assert response.status_code == 202, response.text
        cancelled = await gateway.job_when(job_id, "cancelled")
        assert cancelled["finished_at"] is not None

        # The exporter starts and receives both pages: it skips them, saying why.
        parts: ServiceParts = await build_exporter(loopback, event_store)
        async with running_consumers(
            event_store, loopback.nats_url, loopback.nats_prefix, parts.subscriptions
        ):

            async def both_skipped() -> bool:
                return len(await event_store.read_all(types=["page.stage_skipped"])) == 2

            await eventually(both_skipped, timeout=60)
        after = await gateway.job(job_id)

    assert await event_store.read_all(types=["page.exported"]) == []
    skipped = [e.data for e in await event_store.read_all(types=["page.stage_skipped"])]
    assert {(s.stage, s.job_id) for s in skipped} == {("export", job_id)}  # type: ignore[attr-defined]
    assert all(s.reason.endswith("before the export stage ran (stop)") for s in skipped)  # type: ignore[attr-defined]
    assert (after["status"], after["finished_at"]) == ("cancelled", cancelled["finished_at"])
    again = await gateway_retry_refused(loopback, job_id)
    assert "cancelled" in again


async def gateway_retry_refused(settings: Settings, job_id: UUID) -> str:
    async with gateway_running(settings) as gateway:
        response = await gateway.client.post(f"/v1/jobs/{job_id}/retry")
        assert response.status_code == 409
        return str(response.json()["detail"])


async def test_uploads_are_analyzed_with_the_corpus_profile_and_the_requested_language(
    loopback: Settings, event_store: PostgresEventStore
) -> None:
    from functools import partial

    from analyzer.application.plans import validate_plan
    from analyzer.application.prompts import PromptTemplates
    from contracts import JobCreated, PageAnalysis, PageAnalyzed
    from infra.artifacts import FileArtifactStore

    page = generated_pages(1)[0]
    async with (
        running_services(loopback, event_store, [build_ingest, build_analyzer]),
        gateway_running(loopback, partial(validate_plan, templates=PromptTemplates())) as gateway,
    ):
        corpus = await gateway.corpus("fraktur", profile="german-fraktur")
        uploaded: dict[str, UUID] = {}
        for name, fields in (
            ("profile", {}),
            ("latin", {"plan": '{"primary": {"engine": "tesseract", "languages": ["lat"]}}'}),
        ):
            response = await gateway.client.post(
                f"/v1/corpora/{corpus}/uploads",
                files=[("files", (f"{name}.png", page.data, "image/png"))],
                data={"label": name, **fields},
            )
            assert response.status_code == 202, response.text
            uploaded[name] = UUID(response.json()["job_id"])
        for plan, words in (
            ('{"primary": {"engine": "no-such-engine"}}', "unknown engine 'no-such-engine'"),
            ("{not json", "`plan` is not a valid plan"),
        ):
            refused = await gateway.client.post(
                f"/v1/corpora/{corpus}/uploads",
                files=[("files", ("x.png", page.data, "image/png"))],
                data={"plan": plan},
            )
            assert refused.status_code == 422
            assert words in refused.json()["detail"]

        async def both_analyzed() -> bool:
            return len(await event_store.read_all(types=["page.analyzed"])) == 2

        await eventually(both_analyzed, timeout=120)

    plans = {}
    for name, job_id in uploaded.items():
        [created] = [e.data for e in await event_store.read_stream(job_stream(job_id))][:1]
        assert isinstance(created, JobCreated)
        plans[name] = created.plan
    assert {p.profile for p in plans.values()} == {"german-fraktur"}
    artifacts = FileArtifactStore(loopback.artifacts)
    languages = {}
    for event in await event_store.read_all(types=["page.analyzed"]):
        assert isinstance(event.data, PageAnalyzed)
        analysis = PageAnalysis.model_validate_json(artifacts.get(event.data.analysis))
        languages[event.correlation_id] = analysis.languages
    # Without a plan: the corpus profile's languages; with one: the language asked for.
    assert languages == {uploaded["profile"]: ["deu", "frk"], uploaded["latin"]: ["lat"]}


async def ingest_without_page_consumer(
    settings: Settings, store: PostgresEventStore
) -> ServiceParts:
    """Ingest whose `page.registered` consumer is gone: every such message is lost."""
    parts = await build_ingest(settings, store)
    kept = [s for s in parts.subscriptions if s.consumer != "ingest-pages"]
    return ServiceParts(kept, parts.background, parts.closers)


async def test_the_sweeper_rerequests_a_lost_stage_then_gives_up_after_the_limit(
    loopback: Settings, event_store: PostgresEventStore, site: Site
) -> None:
    site.manifest("/book.json", "/img/1.png")
    site.serve_image("/img/1.png", generated_pages(1)[0].data)
    sweeper = {
        "sweeper_stall_seconds": 1.0,
        "sweeper_tick_seconds": 0.2,
        "sweeper_max_attempts": 2,
    }
    async with (
        running_services(loopback, event_store, [ingest_without_page_consumer]),
        gateway_running(loopback, **sweeper) as gateway,
    ):
        corpus = await gateway.corpus("stalls")
        job_id = await gateway.import_url(corpus, site.url("/book.json"), NULL_PLAN)
        # No analyzer runs either: the analysis is re-requested twice, then fails for good.
        failed = await gateway.job_when(job_id, "failed", timeout=90)

    [page] = failed["failed_pages"]
    events = [e.data for e in await event_store.read_stream(f"page-{page['page_id']}")]
    assert [e.type for e in events] == [
        "page.registered",
        "page.stage_rerequested",
        "page.image_normalized",
        "page.stage_rerequested",
        "page.stage_rerequested",
        "page.analysis_failed",
    ]
    rerequests = [e for e in events if isinstance(e, PageStageRerequested)]
    assert [(r.stage, r.attempt) for r in rerequests] == [
        ("ingest", 1),
        ("analysis", 1),
        ("analysis", 2),
    ]
    assert rerequests[0].reason.startswith("the ingest stage made no progress for ")
    assert rerequests[0].reason.endswith(" s after page.registered")
    assert page["stage"] == "analysis"
    assert page["reason"].startswith("stalled: the analysis stage made no progress")
    assert page["reason"].endswith("gave up after 2 re-requests")
