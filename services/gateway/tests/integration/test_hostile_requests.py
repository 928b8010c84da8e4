"""Hostile requests against a served gateway: each one gets a precise problem, never a 500.

Requests the HTTP parser refuses, or that must be refused before a body arrives, are sent
over a raw socket: what matters there is the exact bytes, and that the server answers and
closes the connection rather than waiting for the client.
"""

from __future__ import annotations

import json
import random
from typing import Any

import httpx
import pytest

from infra.testing.raw_http import DEADLINE, PROBLEM, exchange, random_request

pytestmark = pytest.mark.integration


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    document: dict[str, Any] = response.json()
    assert document["status"] == status
    return document


@pytest.mark.parametrize(
    ("path", "where"),
    [
        ("/v1/events?stream=page-%00", ["query", "stream"]),
        ("/v1/events?types=page.analyzed%00", ["query", "types"]),
        ("/v1/events?stream=a%0Ab", ["query", "stream"]),
        ("/v1/events?stream%00=x", ["query", "stream\x00"]),
        ("/v1/feed/sse?types=%1B%5B31m", ["query", "types"]),
        ("/v1/corpora?api_key=%00", ["query", "api_key"]),
        ("/v1/jobs?status=done%7F", ["query", "status"]),
        ("/v1/pages/%00/history", ["path"]),
        ("/v1/corpora/abc%00def", ["path"]),
        ("/v1/nowhere%0D%0ASet-Cookie:x", ["path"]),
    ],
)
async def test_control_characters_in_the_path_or_query_are_422(
    client: httpx.AsyncClient, path: str, where: list[str]
) -> None:
    problem = assert_problem(await client.get(path), 422)
    assert [e["loc"] for e in problem["errors"]] == [where]
    assert problem["errors"][0]["type"] == "control_character"


async def test_text_postgres_cannot_store_in_a_body_is_422(client: httpx.AsyncClient) -> None:
    for title in ("a\\u0000b", "a\\ud800b"):  # NUL, and a lone surrogate
        body = f'{{"slug": "s{len(title)}", "title": "{title}"}}'.encode()
        response = await client.post(
            "/v1/corpora", content=body, headers={"Content-Type": "application/json"}
        )
        assert "may not contain" in assert_problem(response, 422)["detail"]


@pytest.mark.parametrize(
    "header",
    [
        b"X-Note: a\x01b",
        b"X-Note: a\x00b",
        b"X-Note: a\x1b[31mb",
        b"X-Note: a\x7fb",
        b"X-API-Key: \x00",
        b"X-Note: a\rb",
        b"X Note: spaces in a name",
        b"Content-Length: abc",
        b"Content-Length: 5\r\nTransfer-Encoding: chunked",
    ],
)
async def test_malformed_headers_get_a_400_problem_and_a_closed_connection(
    gateway: Any, header: bytes
) -> None:
    response = await exchange(
        gateway.url, b"GET /v1/corpora HTTP/1.1\r\nHost: gateway\r\n" + header + b"\r\n\r\n"
    )
    assert response.status == 400
    assert response.headers["connection"] == "close"
    assert "not valid HTTP/1.1" in response.problem()["detail"]


async def test_a_malformed_request_line_gets_a_400_problem(gateway: Any) -> None:
    for line in (b"GET /v1/corpora\x01 HTTP/1.1", b"\x16\x03\x01\x02\x00", b"GET / HTTP/9.9"):
        response = await exchange(gateway.url, line + b"\r\nHost: gateway\r\n\r\n")
        assert response.status == 400
        response.problem()


async def test_an_oversized_declared_body_is_refused_before_it_is_sent(
    gateway: Any, keys: Any
) -> None:
    # Headers only: the 413 arrives although the client never sends a byte of the body.
    response = await exchange(
        gateway.url,
        b"POST /v1/corpora HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\n"
        b"X-API-Key: " + keys.admin.encode() + b"\r\nContent-Length: 99999999999\r\n\r\n{}",
    )
    assert response.status == 413
    assert response.headers["connection"] == "close"
    assert "99999999999" in response.problem()["detail"]


async def test_an_oversized_chunked_body_is_refused_once_past_the_limit(
    start_gateway: Any, keys: Any
) -> None:
    served = start_gateway(body_max_bytes=64 * 1024)
    chunk = b"x" * 8192
    chunks = [b"%x\r\n%s\r\n" % (len(chunk), chunk)] * 9  # 72 KiB, past the 64 KiB limit
    response = await exchange(
        served.url,
        b"POST /v1/corpora HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\n"
        b"X-API-Key: " + keys.admin.encode() + b"\r\nTransfer-Encoding: chunked\r\n\r\n",
        *chunks,
    )
    assert response.status == 413
    assert response.headers["connection"] == "close"
    assert "65536-byte limit" in response.problem()["detail"]


async def test_a_json_body_over_the_limit_is_413_with_httpx(client: httpx.AsyncClient) -> None:
    title = "x" * (1024 * 1024)
    response = await client.post("/v1/corpora", json={"slug": "big", "title": title})
    assert "1048576" in assert_problem(response, 413)["detail"]


async def test_a_body_that_stalls_gets_408_and_a_closed_connection_in_time(
    start_gateway: Any, keys: Any
) -> None:
    served = start_gateway(body_timeout_seconds=0.5)
    response = await exchange(
        served.url,
        b"POST /v1/corpora HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\n"
        b"X-API-Key: " + keys.admin.encode() + b"\r\nContent-Length: 100\r\n\r\n"
        b'{"slug": "s',  # ...and nothing more
    )
    assert response.status == 408
    assert response.headers["connection"] == "close"
    assert "within 0.5 s" in response.problem()["detail"]
    assert 0.4 < response.closed_after < DEADLINE  # the configured wait, then the answer


async def test_a_body_nobody_reads_does_not_keep_the_connection(gateway: Any) -> None:
    # An unknown route answers at once; the body it will never read must not hold the socket.
    response = await exchange(
        gateway.url,
        b"POST /v1/nowhere HTTP/1.1\r\nHost: gateway\r\nContent-Length: 1000\r\n\r\nab",
    )
    assert response.status == 404
    assert response.headers["connection"] == "close"
    response.problem()


async def test_headers_that_stall_or_never_come_get_408(start_gateway: Any) -> None:
    served = start_gateway(header_timeout_seconds=0.5)
    partial = await exchange(served.url, b"GET /v1/corpora HTTP/1.1\r\nHost: gate")
    silent = await exchange(served.url)
    for response in (partial, silent):
        assert response.status == 408
        assert "headers did not arrive within 0.5 s" in response.problem()["detail"]


async def test_headers_over_their_limit_get_431(start_gateway: Any) -> None:
    served = start_gateway(header_max_bytes=8192)
    padding = b"".join(b"X-Pad-%d: %s\r\n" % (n, b"a" * 100) for n in range(100))
    response = await exchange(
        served.url, b"GET /v1/corpora HTTP/1.1\r\nHost: gateway\r\n" + padding + b"\r\n"
    )
    assert response.status == 431
    assert "8192 bytes" in response.problem()["detail"]


async def test_a_keep_alive_connection_still_serves_requests_after_the_checks(
    gateway: Any,
) -> None:
    async with httpx.AsyncClient(base_url=gateway.url) as client:
        for _ in range(3):
            assert (await client.get("/healthz")).status_code == 200


async def test_framework_answers_are_problems(client: httpx.AsyncClient) -> None:
    assert_problem(await client.get("/no/such/route"), 404)
    assert_problem(await client.get("/dashboard/no-such-file.js"), 404)
    assert_problem(await client.request("PATCH", "/v1/corpora"), 405)
    assert_problem(await client.request("OPTIONS", "/v1/jobs"), 405)
    assert_problem(await client.get("/v1/events?limit=0"), 422)
    assert_problem(await client.get("/v1/events?after=99999999999999999999"), 422)
    malformed = await client.post(
        "/v1/corpora", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert_problem(malformed, 422)


async def test_garbage_after_a_request_gets_that_answer_then_a_400_problem(gateway: Any) -> None:
    response = await exchange(
        gateway.url, b"GET /healthz HTTP/1.1\r\nHost: gateway\r\n\r\n{not http}\r\n\r\n"
    )
    assert response.status == 200
    assert json.loads(response.body) == {"status": "ok", "checks": {}}
    assert response.rest.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    assert b"content-type: application/problem+json" in response.rest


async def test_random_hostile_requests_get_answers_never_a_500(
    start_gateway: Any, keys: Any
) -> None:
    served = start_gateway(body_timeout_seconds=0.3, header_timeout_seconds=0.3)
    rng = random.Random(1)
    statuses = []
    for _ in range(150):
        request = random_request(rng, keys.admin.encode())
        response = await exchange(served.url, request)
        statuses.append(response.status)
        assert response.status < 500, request
        if response.status >= 400 and not request.startswith(b"HEAD "):
            response.problem()
    assert {200, 400, 405, 413, 422} <= set(statuses)  # the mix did reach each kind of refusal
