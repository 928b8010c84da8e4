"""API-key authentication, scopes and per-key rate limits, as FastAPI dependencies."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request, WebSocket
from fastapi.security import APIKeyHeader, APIKeyQuery

from gateway.domain.auth import ANONYMOUS_ADMIN, Principal
from gateway.entrypoints.context import GatewayContext

_HEADER = APIKeyHeader(name="X-API-Key", auto_error=False)
_QUERY = APIKeyQuery(name="api_key", auto_error=False)
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="recto"'}


def context_of(request: Request) -> GatewayContext:
    context: GatewayContext = request.app.state.context
    return context


Context = Annotated[GatewayContext, Depends(context_of)]


class KeyRefused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


async def _principal_for(context: GatewayContext, key: str | None) -> Principal:
    """The key's principal, its use noted; KeyRefused when there is none or it is spent."""
    if context.settings.auth == "off":
        return ANONYMOUS_ADMIN
    if not key:
        raise KeyRefused(
            "a valid API key is required (X-API-Key header, Bearer token or ?api_key=)"
        )
    stored = await context.keys.find(key)
    if stored is None:
        raise KeyRefused("this API key is not known")
    refusal = stored.refusal()
    if refusal is not None:
        raise KeyRefused(refusal)
    context.key_usage.used(stored.principal.key_id)
    return stored.principal


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
    try:
        return await _principal_for(context, key)
    except KeyRefused as refused:
        raise HTTPException(401, refused.reason, headers=_CHALLENGE) from None


def require(scope: str, *, limited: bool = False) -> Callable[..., Awaitable[Principal]]:
    """A dependency admitting keys with `scope`; `limited` also counts against the key's rate
    limit, shared by every replica."""

    async def dependency(
        context: Context, principal: Annotated[Principal, Depends(authenticated)]
    ) -> Principal:
        if not principal.has_scope(scope):
            raise HTTPException(403, f"this API key lacks the {scope!r} scope")
        if limited:
            wait = await context.limiter.take(principal.key_id)
            if wait > 0:
                raise HTTPException(
                    429,
                    f"too many requests for this API key: at most"
                    f" {context.limiter.window.requests} every"
                    f" {context.limiter.window.seconds} s",
                    headers={"Retry-After": str(wait)},
                )
        return principal

    return dependency


async def key_manager(
    principal: Annotated[Principal, Depends(require("admin", limited=True))],
) -> Principal:
    if not principal.may_manage_keys:
        raise HTTPException(403, "managing API keys needs an admin key not limited to corpora")
    return principal


Reader = Annotated[Principal, Depends(require("read"))]
Writer = Annotated[Principal, Depends(require("write", limited=True))]
KeyManager = Annotated[Principal, Depends(key_manager)]


async def websocket_principal(websocket: WebSocket, context: GatewayContext) -> Principal | None:
    key = (
        websocket.headers.get("x-api-key")
        or _bearer(websocket.headers.get("authorization"))
        or websocket.query_params.get("api_key")
    )
    try:
        return await _principal_for(context, key)
    except KeyRefused:
        return None
