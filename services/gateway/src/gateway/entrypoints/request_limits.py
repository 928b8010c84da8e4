"""Bound every request body in size and in time, as a pure ASGI middleware.

A declared `Content-Length` over the limit is refused (413) before one byte of the body is
read; a body sent without a length (chunked) is counted as it arrives and refused as soon as
it passes the limit; a body that has not arrived in full by its deadline is refused (408).
Each of these answers closes the connection, and so does any answer sent while the body is
still incomplete: nobody would read the rest, so the connection is not kept waiting for it.

Starlette's own `max_body_size` refuses a declared length only once the app reads the body
(after authentication and its database lookup) and answers some cases in plain text; it has
no deadline at all.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import anyio
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.entrypoints.problems import problem_response

CLOSE = {"Connection": "close"}


@dataclass(frozen=True)
class BodyLimit:
    max_bytes: int
    timeout_seconds: float


class BodyTooLarge(HTTPException):
    def __init__(self, detail: str) -> None:
        super().__init__(413, detail, headers=CLOSE)


class BodyTooSlow(HTTPException):
    def __init__(self, detail: str) -> None:
        super().__init__(408, detail, headers=CLOSE)


class RequestLimits:
    def __init__(self, app: ASGIApp, limit_for: Callable[[Scope], BodyLimit]) -> None:
        self.app, self.limit_for = app, limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope)
        body = _Body(scope, receive, send, limit)
        if body.declared is not None and body.declared > limit.max_bytes:
            error = BodyTooLarge(
                f"the body declares {body.declared} bytes; at most {limit.max_bytes} are accepted"
            )
            await _answer(scope, receive, send, error)
            return
        try:
            await self.app(scope, body.receive, body.send)
        except (BodyTooLarge, BodyTooSlow) as error:  # raised past the app's own handlers
            if body.started:
                raise
            await _answer(scope, receive, send, error)


class _Body:
    """The request's body as the app reads it, counted and timed, and the answer it sends."""

    def __init__(self, scope: Scope, receive: Receive, send: Send, limit: BodyLimit) -> None:
        self._receive, self._send, self.limit = receive, send, limit
        headers = Headers(scope=scope)
        length = headers.get("content-length", "")
        self.declared = int(length) if length.isdigit() else None
        chunked = "chunked" in headers.get("transfer-encoding", "").lower()
        self.complete = not chunked and not self.declared  # no body is coming
        self.received, self.started = 0, False
        self.deadline = time.monotonic() + limit.timeout_seconds

    async def receive(self) -> Message:
        if self.complete:  # past the body, the app only waits for a disconnect
            return await self._receive()
        remaining = self.deadline - time.monotonic()
        with anyio.move_on_after(max(remaining, 0.0)) as waited:
            message = await self._receive()
        if waited.cancelled_caught:
            raise BodyTooSlow(
                f"the body did not arrive within {self.limit.timeout_seconds:g} s"
                f" ({self.received} bytes received)"
            )
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self.limit.max_bytes:
                raise BodyTooLarge(f"the body is over the {self.limit.max_bytes}-byte limit")
            self.complete = not message.get("more_body", False)
        return message

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.started = True
            if not self.complete:
                # The rest of the body will never be read: end the connection with the answer.
                headers = [(k, v) for k, v in message.get("headers", []) if k != b"connection"]
                message = {**message, "headers": [*headers, (b"connection", b"close")]}
        await self._send(message)


async def _answer(scope: Scope, receive: Receive, send: Send, error: HTTPException) -> None:
    response = problem_response(
        Request(scope), error.status_code, error.detail, headers=dict(error.headers or {})
    )
    await response(scope, receive, send)
