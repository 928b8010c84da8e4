"""The live feed over a websocket and as Server-Sent Events: replay after a position, then live.

A client too slow to keep up is closed with code 4008 (websocket) or its stream ends (SSE);
it reconnects with `after=<last position it got>` (or `Last-Event-ID`) and loses nothing.
A feed ends as soon as its key is revoked or expires (4401) or its grants change (4001).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Annotated
from uuid import UUID

import anyio
from fastapi import APIRouter, HTTPException, Query, Request, WebSocket
from fastapi.responses import StreamingResponse
from starlette.websockets import WebSocketDisconnect

from gateway.adapters.feed_session import FeedSession, KeyWatch
from gateway.domain.auth import Principal
from gateway.domain.feed import FeedFilter
from gateway.entrypoints.context import GatewayContext
from gateway.entrypoints.problems import PROBLEM_RESPONSES
from gateway.entrypoints.security import Context, Reader, websocket_principal

router = APIRouter(prefix="/v1", tags=["feed"], responses=PROBLEM_RESPONSES)
SLOW_CLIENT = 4008
UNAUTHENTICATED, FORBIDDEN = 4401, 4403
KEY_CHANGED = 4001
"""The key's grants changed: reconnect, and be admitted (or not) as they are now."""
_ENDED = {"revoked": "was revoked", "expired": "expired"}
MAX_POSITION = (1 << 63) - 1


def _session(
    context: GatewayContext,
    after: int,
    corpus: UUID | None,
    job: UUID | None,
    types: str,
    principal: Principal,
) -> FeedSession:
    feed_filter = FeedFilter.of(corpus, job, types.split(","), admin=principal.has_scope("admin"))
    key = KeyWatch(principal, context.keys.by_id) if context.settings.auth == "on" else None
    return FeedSession(
        context.hub, after, feed_filter, context.settings.feed_heartbeat_seconds, key
    )


@router.websocket("/feed")
async def websocket_feed(
    websocket: WebSocket,
    after: Annotated[int, Query(ge=0, le=MAX_POSITION)] = 0,
    corpus: UUID | None = None,
    job: UUID | None = None,
    types: str = "",
) -> None:
    context: GatewayContext = websocket.app.state.context
    principal = await websocket_principal(websocket, context)
    await websocket.accept()
    if principal is None or not principal.has_scope("read"):
        await websocket.close(UNAUTHENTICATED, "a valid API key with the read scope is needed")
        return
    if principal.corpora is not None and (corpus is None or not principal.may_see(corpus)):
        await websocket.close(FORBIDDEN, "this key must name one of its corpora")
        return
    session = _session(context, after, corpus, job, types, principal)
    context.metrics.feed_clients.inc()
    try:
        async with anyio.create_task_group() as group:
            group.start_soon(_close_when_gone, websocket, group.cancel_scope)
            async for _, message in session.messages():
                await websocket.send_text(message)
            if session.overflowed:
                context.metrics.feed_overflows.inc()
                await websocket.close(SLOW_CLIENT, f"too slow: resume with after={session.seen}")
            elif session.key_change == "changed":
                await websocket.close(
                    KEY_CHANGED, f"its grants changed: resume with after={session.seen}"
                )
            elif session.key_change is not None:
                await websocket.close(UNAUTHENTICATED, f"this API key {_ENDED[session.key_change]}")
            group.cancel_scope.cancel()
    except* (WebSocketDisconnect, RuntimeError, OSError):
        pass  # the client went away; it resumes with `after` when it comes back
    finally:
        context.metrics.feed_clients.dec()


async def _close_when_gone(websocket: WebSocket, scope: anyio.CancelScope) -> None:
    with contextlib.suppress(WebSocketDisconnect, RuntimeError):
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                break
    scope.cancel()


@router.get(
    "/feed/sse",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "events"}},
)
async def sse_feed(
    request: Request,
    context: Context,
    principal: Reader,
    after: Annotated[int, Query(ge=0, le=MAX_POSITION)] = 0,
    corpus: UUID | None = None,
    job: UUID | None = None,
    types: Annotated[str, Query(max_length=2000)] = "",
) -> StreamingResponse:
    if principal.corpora is not None and (corpus is None or not principal.may_see(corpus)):
        raise HTTPException(403, "this key must name one of its corpora")
    last = request.headers.get("last-event-id", "")
    start = int(last) if last.isdigit() and int(last) <= MAX_POSITION else after
    session = _session(context, start, corpus, job, types, principal)
    return StreamingResponse(
        _sse(context, session),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


async def _sse(context: GatewayContext, session: FeedSession) -> AsyncIterator[str]:
    context.metrics.feed_clients.inc()
    try:
        yield "retry: 1000\n\n"
        async for position, message in session.messages():
            if position is None:
                yield f": heartbeat {session.seen}\n\n"
            else:
                yield f"id: {position}\ndata: {message}\n\n"
        if session.overflowed:
            context.metrics.feed_overflows.inc()
    finally:
        context.metrics.feed_clients.dec()
