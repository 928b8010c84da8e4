"""Every public read a IIIF viewer makes from another origin answers CORS, preflight included:
the manifest, both annotation pages, the images the gateway serves, Content Search and the
AsyncAPI document. A configured list of origins is kept; credentials are never allowed."""

from __future__ import annotations

from types import ModuleType
from typing import Any
from uuid import uuid4

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
from gateway.testing import ServedGateway
from infra.artifacts import FileArtifactStore
from infra.eventstore import PostgresEventStore
from infra.testing.pipeline import eventually

pytestmark = pytest.mark.integration

VIEWER = "http://viewer.example"
STRANGER = "http://elsewhere.example"


@pytest.fixture
async def reads(event_store: PostgresEventStore, kit: ModuleType, gateway: Any) -> list[str]:
    """The paths a viewer reads of one exported manuscript of one page."""
    artifacts = FileArtifactStore(gateway.artifacts)
    corpus_id, manuscript_id, job_id = uuid4(), uuid4(), uuid4()
    await event_store.append(
        corpus_stream(corpus_id),
        [CorpusCreated(corpus_id=corpus_id, slug="cors", title="C", profile="default")],
    )
    await event_store.append(
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
    await event_store.append(
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
    (page_id,) = await kit.import_pages(event_store, corpus_id, manuscript_id, job_id, 1)
    # The thumbnail ingest recorded, stored under the same address (its bytes' sha256).
    artifacts.put(f"t{page_id}".encode(), "image/jpeg")
    await kit.analyse(event_store, job_id, page_id)
    await kit.export(event_store, job_id, page_id, artifacts)
    await kit.export_manuscript(event_store, job_id, manuscript_id, artifacts, 1, 0)
    manuscript, page = f"/v1/manuscripts/{manuscript_id}", f"/v1/pages/{page_id}"
    return [
        f"{manuscript}/iiif-manifest",
        f"{page}/annotations",
        f"{page}/word-annotations",
        f"{page}/image/thumbnail",
        f"{manuscript}/search?q=page",
        f"{manuscript}/search/v1?q=page",
        f"{manuscript}/autocomplete?q=pa",
        f"{manuscript}/autocomplete/v1?q=pa",
        "/asyncapi.json",
    ]


async def _exported(client: httpx.AsyncClient, path: str) -> None:
    async def there() -> bool:
        return (await client.get(path)).status_code == 200

    await eventually(there, timeout=20)


async def _preflight(client: httpx.AsyncClient, path: str, origin: str) -> httpx.Response:
    # No key: a browser sends none in a preflight.
    return await client.options(
        path,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "x-api-key",
        },
    )


async def test_every_viewer_read_answers_any_origin_without_credentials(
    gateway: ServedGateway, keys: Any, reads: list[str]
) -> None:
    key = {"X-API-Key": keys.read}
    async with httpx.AsyncClient(base_url=gateway.url) as client:
        await _exported(client, reads[0] + f"?api_key={keys.read}")
        for path in reads:
            answer = await client.get(path, headers={"Origin": VIEWER, **key})
            assert answer.status_code == 200, (path, answer.text)
            assert answer.headers["access-control-allow-origin"] == "*", path
            assert "access-control-allow-credentials" not in answer.headers, path
            # The preflight a key header causes needs no key itself.
            preflight = await _preflight(client, path, VIEWER)
            assert preflight.status_code == 200, path
            assert preflight.headers["access-control-allow-origin"] == "*", path
            assert "GET" in preflight.headers["access-control-allow-methods"], path
            assert "x-api-key" in preflight.headers["access-control-allow-headers"].lower(), path
            assert "access-control-allow-credentials" not in preflight.headers, path
        document = (await client.get("/asyncapi.json")).json()
        assert document["asyncapi"] == "3.0.0"
        assert document["channels"]["page.registered"]["address"] == "recto.evt.page.registered"
        # A viewer reads the problem of what is missing, too.
        missing = await client.get(
            f"/v1/pages/{uuid4()}/annotations", headers={"Origin": VIEWER, **key}
        )
        assert missing.status_code == 404
        assert missing.headers["access-control-allow-origin"] == "*"


async def test_configured_origins_are_the_only_ones_answered(
    gateway: ServedGateway, start_gateway: Any, keys: Any, reads: list[str]
) -> None:
    kept = start_gateway(cors_origins=[VIEWER])
    key = {"X-API-Key": keys.read}
    async with httpx.AsyncClient(base_url=kept.url) as client:
        await _exported(client, reads[0] + f"?api_key={keys.read}")
        for path in reads:
            allowed = await client.get(path, headers={"Origin": VIEWER, **key})
            assert allowed.headers["access-control-allow-origin"] == VIEWER, path
            assert "origin" in allowed.headers["vary"].lower(), path
            assert "access-control-allow-credentials" not in allowed.headers, path
            refused = await client.get(path, headers={"Origin": STRANGER, **key})
            # The answer is served (CORS is the browser's rule), but no browser may read it.
            assert "access-control-allow-origin" not in refused.headers, path
            preflight = await _preflight(client, path, STRANGER)
            assert preflight.status_code == 400, path
            assert "access-control-allow-origin" not in preflight.headers, path
            assert (await _preflight(client, path, VIEWER)).status_code == 200, path
        # Commands stay same-origin even for a configured origin.
        command = await client.options(
            "/v1/corpora", headers={"Origin": VIEWER, "Access-Control-Request-Method": "POST"}
        )
        assert command.status_code == 400
