"""Read models, artifacts, events and health over HTTP, and who may see what."""

from __future__ import annotations

from types import ModuleType
from typing import Any
from uuid import uuid4

import asyncpg
import httpx
import pytest

from contracts import (
    CorpusCreated,
    IiifSource,
    JobCreated,
    ManuscriptImportRequested,
    Plan,
    corpus_stream,
    job_stream,
    manuscript_stream,
)
from gateway.adapters.api_keys import create_api_key
from infra.artifacts import FileArtifactStore
from infra.eventstore import PostgresEventStore
from infra.testing.pipeline import eventually

pytestmark = pytest.mark.integration


async def exported_manuscript(
    store: PostgresEventStore, kit: ModuleType, artifacts: FileArtifactStore, pages: int = 3
) -> dict[str, Any]:
    """A corpus with one manuscript of `pages` pages, all exported, artifacts on disk."""
    corpus_id, manuscript_id, job_id = uuid4(), uuid4(), uuid4()
    await store.append(
        corpus_stream(corpus_id),
        [
            CorpusCreated(
                corpus_id=corpus_id, slug=f"c{corpus_id.hex[:8]}", title="C", profile="default"
            )
        ],
    )
    await store.append(
        job_stream(job_id),
        [
            JobCreated(
                job_id=job_id,
                kind="import",
                corpus_id=corpus_id,
                manuscript_id=manuscript_id,
                plan=Plan(),
            )
        ],
    )
    await store.append(
        manuscript_stream(manuscript_id),
        [
            ManuscriptImportRequested(
                manuscript_id=manuscript_id,
                corpus_id=corpus_id,
                job_id=job_id,
                source=IiifSource(url="https://example.org/m.json"),
            )
        ],
    )
    page_ids = await kit.import_pages(store, corpus_id, manuscript_id, job_id, pages)
    exports = {}
    for page_id in page_ids:
        await kit.analyse(
            store, job_id, page_id, fail="unreadable" if page_id == page_ids[-1] else None
        )
        if page_id != page_ids[-1]:
            exports[page_id] = await kit.export(store, job_id, page_id, artifacts)
    formats = await kit.export_manuscript(store, job_id, manuscript_id, artifacts, pages - 1, 1)
    return {
        "corpus": corpus_id,
        "manuscript": manuscript_id,
        "job": job_id,
        "pages": page_ids,
        "exports": exports,
        "formats": formats,
    }


async def wait_until(
    client: httpx.AsyncClient, path: str, key: str, value: object
) -> dict[str, Any]:
    async def reached() -> bool:
        response = await client.get(path)
        return response.status_code == 200 and response.json().get(key) == value

    await eventually(reached, timeout=20)
    body: dict[str, Any] = (await client.get(path)).json()
    return body


async def test_manuscript_pages_and_artifacts(
    client: httpx.AsyncClient, event_store: PostgresEventStore, kit: ModuleType, gateway: Any
) -> None:
    artifacts = FileArtifactStore(gateway.artifacts)
    world = await exported_manuscript(event_store, kit, artifacts)
    manuscript = await wait_until(
        client, f"/v1/manuscripts/{world['manuscript']}", "status", "exported"
    )
    assert manuscript["page_count"] == 3
    assert set(manuscript["links"]) == {"pages", "iiif-manifest", "mets", "bundle", "pdf"}
    assert manuscript["links"]["pdf"].endswith("/searchable.pdf")

    pages = (await client.get(f"/v1/manuscripts/{world['manuscript']}/pages")).json()
    assert [p["index"] for p in pages["items"]] == [0, 1, 2]
    assert [p["status"] for p in pages["items"]] == ["exported", "exported", "failed"]
    failed = (
        await client.get(
            f"/v1/manuscripts/{world['manuscript']}/pages", params={"status": "failed", "limit": 1}
        )
    ).json()
    assert (failed["total"], failed["items"][0]["id"]) == (1, str(world["pages"][2]))
    second = (
        await client.get(
            f"/v1/manuscripts/{world['manuscript']}/pages", params={"offset": 1, "limit": 1}
        )
    ).json()
    assert [p["index"] for p in second["items"]] == [1]

    page_id = world["pages"][0]
    page = (await client.get(f"/v1/pages/{page_id}")).json()
    assert (page["engine"], page["confidence"], page["label"]) == ("tesseract", 0.9, "f. 1r")
    assert {"alto", "page", "text", "annotations", "hocr", "analysis", "image-master"} <= set(
        page["links"]
    )
    broken = (await client.get(f"/v1/pages/{world['pages'][2]}")).json()
    assert broken["last_error"] == {
        "stage": "analysis",
        "code": "engine-failed",
        "reason": "unreadable",
    }

    # A page export, streamed with its sha256 as ETag; If-None-Match answers 304.
    alto_ref = world["exports"][page_id]["alto"]
    alto = await client.get(f"/v1/pages/{page_id}/alto")
    assert alto.status_code == 200
    assert alto.content == artifacts.get(alto_ref)
    assert alto.headers["etag"] == f'"{alto_ref.sha256}"'
    assert alto.headers["content-type"].startswith("application/xml")
    cached = await client.get(
        f"/v1/pages/{page_id}/alto", headers={"If-None-Match": alto.headers["etag"]}
    )
    assert cached.status_code == 304
    assert cached.content == b""
    hocr = await client.get(f"/v1/pages/{page_id}/hocr")
    assert hocr.status_code == 200
    assert hocr.content == artifacts.get(world["exports"][page_id]["hocr"])
    # A stage's own files are links of the page and served by the stage's name.
    for name in ("text/translation", "annotations/translation"):
        assert page["links"][name] == f"/v1/pages/{page_id}/{name}"
        staged = await client.get(page["links"][name])
        assert staged.status_code == 200, name
        assert staged.content == artifacts.get(world["exports"][page_id][name])
    for path, status in (("text/summary", 404), ("text/Summary_1", 422), ("alto/translation", 422)):
        refused = await client.get(f"/v1/pages/{page_id}/{path}")
        assert refused.status_code == status, path
        assert refused.headers["content-type"] == "application/problem+json"
    for name, path in (
        ("iiif-manifest", "iiif-manifest"),
        ("mets", "mets"),
        ("bundle", "bundle.zip"),
        ("pdf", "searchable.pdf"),
    ):
        response = await client.get(f"/v1/manuscripts/{world['manuscript']}/{path}")
        assert response.status_code == 200, name
        assert response.content == artifacts.get(world["formats"][name])
    # Recorded but not on disk (the test's own refs): 404, never a 500.
    missing_image = await client.get(f"/v1/pages/{page_id}/image/master")
    assert missing_image.status_code == 404
    not_yet = await client.get(f"/v1/pages/{world['pages'][2]}/alto")
    assert not_yet.status_code == 404
    assert not_yet.headers["content-type"] == "application/problem+json"

    history = (await client.get(f"/v1/pages/{page_id}/history")).json()
    assert [e["type"] for e in history["events"]] == [
        "page.registered",
        "page.image_normalized",
        "page.analysis_started",
        "page.analyzed",
        "page.exported",
    ]
    assert [e["stream_version"] for e in history["events"]] == [1, 2, 3, 4, 5]


async def test_events_are_paged_by_position_and_filtered(
    client: httpx.AsyncClient, event_store: PostgresEventStore, kit: ModuleType, gateway: Any
) -> None:
    world = await exported_manuscript(event_store, kit, FileArtifactStore(gateway.artifacts), 2)
    await wait_until(client, f"/v1/jobs/{world['job']}", "status", "done")  # log complete
    everything = await event_store.read_all(limit=10_000)
    while len(everything) < 15:  # an open projection batch may hold the read horizon back
        everything = await event_store.read_all(limit=10_000)
    first = (await client.get("/v1/events", params={"limit": 5})).json()
    assert [e["position"] for e in first["events"]] == [e.position for e in everything[:5]]
    rest = (
        await client.get("/v1/events", params={"after": first["next_after"], "limit": 1000})
    ).json()
    assert [e["event_id"] for e in first["events"] + rest["events"]] == [
        str(e.event_id) for e in everything
    ]
    stream = (await client.get("/v1/events", params={"stream": f"job-{world['job']}"})).json()
    assert stream["events"][0]["type"] == "job.created"
    typed = (await client.get("/v1/events", params={"types": "page.exported"})).json()
    assert {e["type"] for e in typed["events"]} == {"page.exported"}
    assert len(typed["events"]) == 1


async def test_keys_scopes_and_corpus_limits(
    gateway: Any, keys: Any, pool: asyncpg.Pool, event_store: PostgresEventStore
) -> None:
    async with httpx.AsyncClient(base_url=gateway.url) as anonymous:
        response = await anonymous.get("/v1/corpora")
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["type"] == "https://recto.dev/problems/unauthenticated"
        wrong = await anonymous.get("/v1/corpora", headers={"X-API-Key": "rk_nope"})
        assert wrong.status_code == 401
        by_query = await anonymous.get("/v1/corpora", params={"api_key": keys.read})
        assert by_query.status_code == 200
        bearer = await anonymous.get(
            "/v1/corpora", headers={"Authorization": f"Bearer {keys.read}"}
        )
        assert bearer.status_code == 200
        forbidden = await anonymous.post(
            "/v1/corpora", json={"slug": "x", "title": "X"}, headers={"X-API-Key": keys.read}
        )
        assert forbidden.status_code == 403
        assert forbidden.json()["type"] == "https://recto.dev/problems/forbidden"

        # A key limited to one corpus sees that corpus only.
        visible, hidden = uuid4(), uuid4()
        for corpus_id, slug in ((visible, "mine"), (hidden, "theirs")):
            await event_store.append(
                corpus_stream(corpus_id),
                [CorpusCreated(corpus_id=corpus_id, slug=slug, title=slug, profile="default")],
            )
        limited = await create_api_key(pool, ["write"], [visible])
        headers = {"X-API-Key": limited}

        async def both_projected() -> bool:
            listing = await anonymous.get("/v1/corpora", headers={"X-API-Key": keys.admin})
            return listing.json()["total"] == 2

        await eventually(both_projected)
        listing = (await anonymous.get("/v1/corpora", headers=headers)).json()
        assert [c["id"] for c in listing["items"]] == [str(visible)]
        assert (await anonymous.get(f"/v1/corpora/{hidden}", headers=headers)).status_code == 404
        assert (await anonymous.get(f"/v1/corpora/{visible}", headers=headers)).status_code == 200
        denied = await anonymous.post(
            f"/v1/corpora/{hidden}/imports",
            headers=headers,
            json={"source": {"kind": "iiif", "url": "https://example.org/m.json"}},
        )
        assert denied.status_code == 403
        assert (await anonymous.get("/v1/events", headers=headers)).status_code == 403


async def test_rate_limit_answers_429_with_retry_after(start_gateway: Any, keys: Any) -> None:
    served = start_gateway(rate_limit_requests=2, rate_limit_window_seconds=3600)
    async with httpx.AsyncClient(base_url=served.url, headers={"X-API-Key": keys.write}) as client:
        statuses = [
            (await client.post("/v1/corpora", json={"slug": f"s{i}", "title": "T"})).status_code
            for i in range(3)
        ]
        limited = await client.post("/v1/corpora", json={"slug": "s9", "title": "T"})
        reads = await client.get("/v1/corpora")
    assert statuses[:2] == [202, 202]
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) >= 1
    assert limited.json()["type"] == "https://recto.dev/problems/rate-limited"
    assert reads.status_code == 200


async def test_framework_errors_are_problems_too(client: httpx.AsyncClient) -> None:
    missing = await client.get("/v1/nowhere")
    assert (missing.status_code, missing.headers["content-type"]) == (
        404,
        "application/problem+json",
    )
    assert missing.json()["instance"] == "/v1/nowhere"
    method = await client.delete("/v1/corpora")
    assert (method.status_code, method.json()["type"]) == (
        405,
        "https://recto.dev/problems/method-not-allowed",
    )
    bad_id = await client.get("/v1/pages/not-a-uuid")
    assert bad_id.status_code == 422
    unknown = await client.get(f"/v1/pages/{uuid4()}")
    assert unknown.status_code == 404


async def test_health_readiness_and_metrics(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok", "checks": {}}
    ready = await client.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json()["status"] == "ready"
    await client.get("/v1/corpora")
    metrics = (await client.get("/metrics")).text
    assert (
        'recto_gateway_request_seconds_count{method="GET",route="/v1/corpora",status="200"}'
        in metrics
    )
    assert "recto_gateway_projection_lag_events 0.0" in metrics
    assert "recto_gateway_feed_clients 0.0" in metrics


async def test_readiness_fails_without_nats(start_gateway: Any) -> None:
    served = start_gateway(nats="nats://127.0.0.1:9")
    async with httpx.AsyncClient(base_url=served.url) as client:
        ready = await client.get("/readyz")
    assert ready.status_code == 503
    assert ready.headers["content-type"] == "application/problem+json"
    assert int(ready.headers["retry-after"]) >= 1
    problem = ready.json()
    assert (problem["status"], problem["type"]) == (503, "https://recto.dev/problems/unavailable")
    assert problem["detail"].startswith("not ready: NATS unreachable")
    assert problem["checks"]["nats"].startswith("NATS unreachable")
    assert problem["checks"]["database"] == "database answers"
