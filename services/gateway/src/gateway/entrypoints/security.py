"""API-key authentication, scopes and per-key rate limits, as FastAPI dependencies."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request, WebSocket
from fastapi.security import APIKeyHeader, APIKeyQuery

from gateway.domain.auth import ANONYMOUS_ADMIN, Principal
from gateway.entrypoints.context import GatewayContext

_HEADER = APIKeyHeader(name="X-API-Key", auto_error=False)
_QUERY = APIKeyQuery(name="api_key", auto_error=False)


def context_of(request: Request) -> GatewayContext:
    context: GatewayContext = request.app.state.context
    return context


Context = Annotated[GatewayContext, Depends(context_of)]


async def _principal_for(context: GatewayContext, key: str | None) -> Principal | None:
    if context.settings.auth == "off":
        return ANONYMOUS_ADMIN
    if not key:
        return None
    return await context.keys.principal(key)


def _bearer(authorization: str | None) -> str | None:
    if authorization and authorization.lower().startswith("bearer "):
        return authorization[7:].strip()
    return None


async def authenticated(
    request: Request,
    context: Context,
    header: Annotated[str | None, Depends(_HEADER)],
    query: Annotated[str | None, Depends(_QUERY)],
) -> Principal:
    key = header or _bearer(request.headers.get("authorization")) or query
    principal = await _principal_for(context, key)
    if principal is None:
        raise HTTPException(
            401,
            "a valid API key is required (X-API-Key header, Bearer token or ?api_key=)",
            headers={"WWW-Authenticate": 'Bearer realm="recto"'},
        )
    return principal


def require(scope: str, *, limited: bool = False) -> Callable[..., Awaitable[Principal]]:
    """A dependency admitting keys with `scope`; `limited` also spends a rate-limit token."""

    async def dependency(
        context: Context, principal: Annotated[Principal, Depends(authenticated)]
    ) -> Principal:
        if not principal.has_scope(scope):
            raise HTTPException(403, f"this API key lacks the {scope!r} scope")
        if limited:
            wait = context.limiter.take(principal.key_id, time.monotonic())
            if wait > 0:
                raise HTTPException(
                    429,
                    "too many commands for this API key",
                    headers={"Retry-After": str(max(1, round(wait + 0.5)))},
                )
        return principal

    return dependency


Reader = Annotated[Principal, Depends(require("read"))]
Writer = Annotated[Principal, Depends(require("write", limited=True))]


async def websocket_principal(websocket: WebSocket, context: GatewayContext) -> Principal | None:
    key = (
        websocket.headers.get("x-api-key")
        or _bearer(websocket.headers.get("authorization"))
        or websocket.query_params.get("api_key")
    )
    return await _principal_for(context, key)
