"""Commands over HTTP: corpora, imports, uploads, jobs; their problem responses."""

from __future__ import annotations

import io
from uuid import uuid4

import httpx
import pytest
from PIL import Image

from contracts import Plan

pytestmark = pytest.mark.integration
PROBLEM = "application/problem+json"


def jpeg_bytes(size: tuple[int, int] = (40, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 190, 170)).save(buffer, "JPEG")
    return buffer.getvalue()


async def create_corpus(client: httpx.AsyncClient, slug: str = "hours") -> str:
    response = await client.post("/v1/corpora", json={"slug": slug, "title": "Books of Hours"})
    assert response.status_code == 202, response.text
    return str(response.json()["id"])


async def until_visible(client: httpx.AsyncClient, path: str) -> httpx.Response:
    from infra.testing.pipeline import eventually

    async def visible() -> bool:
        return (await client.get(path)).status_code == 200

    await eventually(visible, timeout=15)
    return await client.get(path)


async def test_corpus_is_created_then_read_and_its_slug_conflicts(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/v1/corpora", json={"slug": "hours", "title": "Books of Hours", "profile": "medieval"}
    )
    assert response.status_code == 202
    corpus_id = response.json()["id"]
    assert response.headers["location"] == f"/v1/corpora/{corpus_id}"

    corpus = (await until_visible(client, f"/v1/corpora/{corpus_id}")).json()
    assert (corpus["slug"], corpus["title"], corpus["profile"]) == (
        "hours",
        "Books of Hours",
        "medieval",
    )
    assert corpus["manuscripts"]["total"] == 0
    listing = (await client.get("/v1/corpora")).json()
    assert [c["id"] for c in listing["items"]] == [corpus_id]

    again = await client.post("/v1/corpora", json={"slug": "hours", "title": "Another"})
    assert again.status_code == 409
    assert again.headers["content-type"] == PROBLEM
    problem = again.json()
    assert problem["type"] == "https://recto.dev/problems/conflict"
    assert problem["status"] == 409
    assert problem["instance"] == "/v1/corpora"
    assert "hours" in problem["detail"]


async def test_invalid_bodies_are_422_problems(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/corpora", json={"slug": "Not A Slug", "title": ""})
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["type"] == "https://recto.dev/problems/invalid-request"
    assert {tuple(e["loc"]) for e in body["errors"]} >= {("body", "slug"), ("body", "title")}


async def test_import_appends_request_and_job_and_shows_a_pending_job(
    client: httpx.AsyncClient,
) -> None:
    corpus_id = await create_corpus(client)
    await until_visible(client, f"/v1/corpora/{corpus_id}")
    response = await client.post(
        f"/v1/corpora/{corpus_id}/imports",
        json={"source": {"kind": "iiif", "url": "https://example.org/iiif/manifest.json"}},
    )
    assert response.status_code == 202, response.text
    accepted = response.json()
    assert response.headers["location"] == f"/v1/jobs/{accepted['job_id']}"

    job = (await until_visible(client, f"/v1/jobs/{accepted['job_id']}")).json()
    assert (job["kind"], job["status"], job["corpus_id"]) == ("import", "pending", corpus_id)
    manuscript = (await client.get(f"/v1/manuscripts/{accepted['manuscript_id']}")).json()
    assert (manuscript["status"], manuscript["source_kind"]) == ("importing", "iiif")
    events = (
        await client.get("/v1/events", params={"types": "manuscript.import_requested,job.created"})
    ).json()
    assert [e["type"] for e in events["events"]] == ["manuscript.import_requested", "job.created"]
    assert len({e["metadata"]["correlation_id"] for e in events["events"]}) == 1


async def test_import_into_unknown_corpus_is_404(client: httpx.AsyncClient) -> None:
    response = await client.post(
        f"/v1/corpora/{uuid4()}/imports",
        json={"source": {"kind": "images", "images": [{"url": "https://example.org/a.jpg"}]}},
    )
    assert response.status_code == 404
    assert response.json()["type"] == "https://recto.dev/problems/not-found"


async def test_upload_stores_sniffed_images_and_refuses_too_large_or_not_images(
    client: httpx.AsyncClient, gateway: object
) -> None:
    corpus_id = await create_corpus(client)
    await until_visible(client, f"/v1/corpora/{corpus_id}")
    jpeg = jpeg_bytes()
    # The declared type lies: the bytes say JPEG, and JPEG is what is recorded.
    response = await client.post(
        f"/v1/corpora/{corpus_id}/uploads",
        files=[("files", ("f1.png", jpeg, "image/png"))],
        data={"labels": ["f. 1r"], "label": "Loose leaves"},
    )
    assert response.status_code == 202, response.text
    events = (
        await client.get("/v1/events", params={"types": "manuscript.import_requested"})
    ).json()
    source = events["events"][0]["data"]["source"]
    assert source["kind"] == "uploads"
    assert source["label"] == "Loose leaves"
    [uploaded] = source["files"]
    assert uploaded["artifact"]["media_type"] == "image/jpeg"
    assert uploaded["artifact"]["bytes"] == len(jpeg)
    assert (uploaded["filename"], uploaded["label"]) == ("f1.png", "f. 1r")
    digest = uploaded["artifact"]["sha256"]
    stored = gateway.artifacts / digest[:2] / digest[2:4] / digest  # type: ignore[attr-defined]
    assert stored.read_bytes() == jpeg

    too_large = await client.post(
        f"/v1/corpora/{corpus_id}/uploads",
        files=[("files", ("big.jpg", jpeg + b"\x00" * 2_100_000, "image/jpeg"))],
    )
    assert too_large.status_code == 413
    assert too_large.json()["type"] == "https://recto.dev/problems/too-large"

    not_image = await client.post(
        f"/v1/corpora/{corpus_id}/uploads",
        files=[("files", ("x.jpg", b"%!PS-Adobe", "image/jpeg"))],
    )
    assert not_image.status_code == 415


async def test_plan_problems_from_the_injected_validator_are_422(
    start_gateway: object, keys: object
) -> None:
    served = start_gateway(  # type: ignore[operator]
        plan_validator=lambda plan: (
            [f"unknown engine {plan.primary.engine!r}"]
            if plan.primary.engine != "tesseract"
            else []
        )
    )
    async with httpx.AsyncClient(base_url=served.url, headers={"X-API-Key": keys.admin}) as client:  # type: ignore[attr-defined]
        corpus_id = await create_corpus(client)
        await until_visible(client, f"/v1/corpora/{corpus_id}")
        plan = Plan.model_validate({"primary": {"engine": "nonesuch"}}).model_dump(mode="json")
        response = await client.post(
            f"/v1/corpora/{corpus_id}/imports",
            json={"source": {"kind": "iiif", "url": "https://example.org/m.json"}, "plan": plan},
        )
    assert response.status_code == 422
    assert response.json()["errors"] == ["unknown engine 'nonesuch'"]


async def test_submit_job_needs_existing_pages(client: httpx.AsyncClient) -> None:
    missing = await client.post("/v1/jobs", json={"kind": "analyze", "page_ids": [str(uuid4())]})
    assert missing.status_code == 404
    nothing = await client.post("/v1/jobs", json={"kind": "analyze"})
    assert nothing.status_code == 422
    imports = await client.post("/v1/jobs", json={"kind": "import", "corpus_id": str(uuid4())})
    assert imports.status_code == 422
