"""Hostile HTTP against the real gateway process of a running stack: no 5xx, every refusal an
RFC 9457 problem, no unread request held open past its timeout, nothing recorded."""

from __future__ import annotations

import asyncio
import random

import httpx
import pytest

from infra.testing.raw_http import exchange, random_request

from .chaos_support import BODY_TIMEOUT, Chaos

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PROBLEM = "application/problem+json"
# The stack allows 127.0.0.1 (its sample IIIF server lives there), so 127.0.0.1's other
# spellings are allowed here too; the gateway's own tests refuse them without the allow-list.
NEVER_FETCHABLE = [
    "http://169.254.169.254/latest/meta-data/",
    "http://[fe80::1]/manifest.json",
    "http://10.0.0.1/manifest.json",
    "http://192.168.1.1/manifest.json",
    "http://0x0a000001/manifest.json",
    "http://metadata.google.internal/computeMetadata/v1/",
    "file:///etc/passwd",
    "gopher://example.org/",
]


async def event_count(chaos: Chaos) -> int:
    rows = await asyncio.to_thread(chaos.query, "SELECT count(*) AS n FROM events")
    return int(rows[0]["n"])


def head(path: bytes, *headers: bytes) -> bytes:
    lines = [b"GET " + path + b" HTTP/1.1", b"Host: gateway", b"Connection: close", *headers]
    return b"\r\n".join(lines) + b"\r\n\r\n"


async def test_the_catalogue_gets_precise_problems_and_writes_nothing(chaos: Chaos) -> None:
    url = chaos.stack.gateway_url
    before = await event_count(chaos)

    nul = await exchange(url, head(b"/v1/events?stream=page-%00"))
    assert nul.status == 422
    nul.problem()

    control = await exchange(url, head(b"/v1/corpora", b"X-Note: a\x01b"))
    assert control.status == 400
    control.problem()

    huge = await exchange(
        url,
        b"POST /v1/corpora HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\n"
        b"Content-Length: 99999999999\r\n\r\n{}",
        deadline=BODY_TIMEOUT,  # refused at once, not after the body's timeout
    )
    assert huge.status == 413
    huge.problem()

    stalled = await exchange(
        url,
        b"POST /v1/corpora HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\n"
        b"Content-Length: 100\r\n\r\n{",
    )
    assert stalled.status == 408
    stalled.problem()
    assert stalled.closed_after < BODY_TIMEOUT * 3

    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        big = await client.post(
            "/v1/corpora",
            content=b'{"slug": "' + b"a" * (30 * 1024 * 1024) + b'"}',
            headers={"Content-Type": "application/json"},
        )
        assert big.status_code == 413
        assert big.headers["content-type"] == PROBLEM
        for source in NEVER_FETCHABLE:
            body = {"source": {"kind": "iiif", "url": source}}
            refused = await client.post(f"/v1/corpora/{chaos.corpus_id}/imports", json=body)
            assert refused.status_code == 422, (source, refused.text)
            assert refused.headers["content-type"] == PROBLEM

    assert await event_count(chaos) == before


async def test_random_hostile_requests_never_get_a_5xx(chaos: Chaos) -> None:
    rng = random.Random(92)
    statuses = []
    for _ in range(92):
        request = random_request(rng, b"none")
        response = await exchange(chaos.stack.gateway_url, request)
        statuses.append(response.status)
        assert response.status < 500, request
        if response.status >= 400 and not request.startswith(b"HEAD "):
            response.problem()
    assert len({s for s in statuses if s >= 400}) >= 3
