"""Import URLs ingest could never fetch are refused at submission, and nothing is recorded."""

from __future__ import annotations

from typing import Any

import asyncpg
import httpx
import pytest

pytestmark = pytest.mark.integration
PROBLEM = "application/problem+json"

FORBIDDEN = [
    ("http://169.254.169.254/latest/meta-data/", "169.254.169.254, a link-local address"),
    ("http://[::1]/manifest.json", "::1, a loopback address"),
    ("http://0x7f000001/manifest.json", "127.0.0.1, a loopback address"),
    ("http://2130706433/manifest.json", "127.0.0.1, a loopback address"),
    ("http://0177.0.0.1/manifest.json", "127.0.0.1, a loopback address"),
    ("http://127.1/manifest.json", "127.0.0.1, a loopback address"),
    ("http://localhost/manifest.json", "localhost resolves to 127.0.0.1, a loopback address"),
    ("http://api.localhost:8080/m.json", "api.localhost resolves to 127.0.0.1"),
    ("http://10.0.0.1/manifest.json", "10.0.0.1, a private address"),
    ("http://192.168.1.20/manifest.json", "192.168.1.20, a private address"),
    ("http://0/manifest.json", "0.0.0.0, an unspecified address"),
    ("http://[::ffff:127.0.0.1]/m.json", "(127.0.0.1), a loopback address"),
    ("http://[::ffff:a9fe:a9fe]/m.json", "(169.254.169.254), a link-local address"),
    ("http://[64:ff9b::a00:1]/m.json", "(10.0.0.1), a private address"),
    ("http://100.100.100.200/latest", "a cloud metadata address"),
    ("http://metadata.google.internal/computeMetadata/v1/", "a cloud metadata service"),
]
NOT_HTTP = ["file:///etc/passwd", "gopher://example.org/", "ftp://example.org/m.json"]


async def event_count(pool: asyncpg.Pool) -> int:
    return int(await pool.fetchval("SELECT count(*) FROM events"))


async def new_corpus(client: httpx.AsyncClient) -> str:
    response = await client.post("/v1/corpora", json={"slug": "guarded", "title": "Guarded"})
    assert response.status_code == 202, response.text
    return str(response.json()["id"])


async def test_every_forbidden_url_form_is_a_422_and_appends_nothing(
    client: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    corpus = await new_corpus(client)
    before = await event_count(pool)
    for url, reason in FORBIDDEN:
        for source in (
            {"kind": "iiif", "url": url},
            {"kind": "images", "images": [{"url": "https://example.org/a.jpg"}, {"url": url}]},
        ):
            response = await client.post(f"/v1/corpora/{corpus}/imports", json={"source": source})
            assert response.status_code == 422, (url, response.text)
            assert response.headers["content-type"] == PROBLEM
            problem = response.json()
            assert problem["detail"].startswith("cannot fetch http"), problem
            assert reason in problem["detail"], (url, problem["detail"])
            assert problem["errors"] == [problem["detail"].removeprefix("cannot fetch ")]
    for url in NOT_HTTP:
        response = await client.post(
            f"/v1/corpora/{corpus}/imports", json={"source": {"kind": "iiif", "url": url}}
        )
        assert response.status_code == 422, (url, response.text)
        assert response.headers["content-type"] == PROBLEM
    assert await event_count(pool) == before


async def test_public_names_pass_and_the_allow_list_admits_loopback(
    start_gateway: Any, keys: Any, pool: asyncpg.Pool
) -> None:
    served = start_gateway(fetch_allow="127.0.0.1")
    async with httpx.AsyncClient(base_url=served.url, headers={"X-API-Key": keys.admin}) as client:
        corpus = await new_corpus(client)
        before = await event_count(pool)
        for url in ("http://127.0.0.1:8182/iiif/manifest.json", "https://iiif.example.org/m.json"):
            response = await client.post(
                f"/v1/corpora/{corpus}/imports", json={"source": {"kind": "iiif", "url": url}}
            )
            assert response.status_code == 202, response.text
        still_refused = await client.post(
            f"/v1/corpora/{corpus}/imports",
            json={"source": {"kind": "iiif", "url": "http://127.0.0.2/m.json"}},
        )
    assert still_refused.status_code == 422
    assert await event_count(pool) == before + 4  # two imports, each a request and a job
