"""Raw HTTP/1.1 exchanges for hostile-request tests: the exact bytes, and how the server closes.

What matters for requests an HTTP parser refuses, or that must be refused before their body
arrives, is the bytes sent and that the server answers and closes rather than waits.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

PROBLEM = "application/problem+json"
DEADLINE = 30.0  # generous: a loaded CI machine is slow, and a hung server fails all the same


@dataclass
class RawResponse:
    status: int
    headers: dict[str, str]
    body: bytes
    closed_after: float
    rest: bytes  # what followed this response: answers to pipelined requests

    def problem(self) -> dict[str, Any]:
        assert self.headers.get("content-type") == PROBLEM, (self.status, self.headers, self.body)
        document: dict[str, Any] = json.loads(self.body)
        assert document["status"] == self.status
        assert document["type"].startswith("https://recto.dev/problems/")
        return document


async def exchange(url: str, *parts: bytes, deadline: float = DEADLINE) -> RawResponse:
    """Send `parts` over a fresh connection, then read until the server closes it."""
    address = urlsplit(url)
    reader, writer = await asyncio.open_connection(address.hostname, address.port)
    try:
        for part in parts:
            writer.write(part)
            await writer.drain()
        started = time.monotonic()
        raw = await asyncio.wait_for(reader.read(), deadline)  # to EOF: the server closed
        closed_after = time.monotonic() - started
    finally:
        writer.close()
        await writer.wait_closed()
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", len(body)))
    status = int(status_line.split()[1])
    return RawResponse(status, headers, body[:length], closed_after, body[length:])


def random_request(rng: random.Random, key: bytes) -> bytes:
    """A request mixing valid parts with hostile ones: odd methods, bytes, lengths, bodies."""
    method = rng.choice([b"GET", b"POST", b"POST", b"PUT", b"HEAD", b"OPTIONS", b"G\x00T"])
    path = rng.choice([b"/v1/corpora", b"/v1/corpora", b"/v1/events", b"/readyz", b"/"])
    if rng.random() < 0.3:
        path += b"?" + bytes(rng.choice(b"ab=&%07AF\x01 ") for _ in range(rng.randint(1, 12)))
    # `Connection: close`: the reader waits for the end of the stream, not a keep-alive timeout.
    headers = [b"Host: gateway", b"Connection: close", b"X-API-Key: " + key]
    if rng.random() < 0.2:
        headers.append(b"X-Note: " + bytes(rng.randrange(256) for _ in range(rng.randint(1, 8))))
    body = b""
    if rng.random() < 0.6:
        body = rng.choice(
            [b"{}", b'{"slug": "a", "title": "\\u0000"}', b"\xff\xfe", b"[" * 3000, b"{nope"]
        )
        headers.append(b"Content-Type: application/json")
        length = rng.choice([len(body), len(body) + 10, 99999999999, None])
        if length is not None:
            headers.append(b"Content-Length: %d" % length)
    return method + b" " + path + b" HTTP/1.1\r\n" + b"\r\n".join(headers) + b"\r\n\r\n" + body
