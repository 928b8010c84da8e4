"""Who is editing: the page they may touch, the name their changes are recorded under."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any
from uuid import UUID

from fastapi import HTTPException, Request, Response
from fastapi.routing import APIRoute

from contracts.errors import InvalidRequest
from gateway.domain.auth import Principal
from gateway.domain.models import PageRow
from gateway.entrypoints.context import GatewayContext
from gateway.entrypoints.reads import visible_page

ANONYMOUS = "anonymous"


def actor_of(context: GatewayContext, principal: Principal) -> str:
    """The name an edit is recorded under: the key's name once keys have one, its id until
    then, and `anonymous` when authentication is off."""
    if context.settings.auth == "off":
        return ANONYMOUS
    name = getattr(principal, "name", None)
    return name if isinstance(name, str) and name else principal.key_id


async def editable_page(context: GatewayContext, principal: Principal, page_id: UUID) -> PageRow:
    """A page this key may write: unknown pages are 404, other corpora's 403, as for imports."""
    row = await context.read_models.page(page_id)
    if row is None:
        raise HTTPException(404, f"no page {page_id}")
    if not principal.may_see(row.corpus_id):
        raise HTTPException(403, "this API key is limited to other corpora")
    return row


class Utf8JsonRoute(APIRoute):
    """A JSON body that is not UTF-8 gets a 422 saying where, before FastAPI's parser would
    answer an unexplained 400."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def checked(request: Request) -> Response:
            if request.headers.get("content-type", "").startswith("application/json"):
                body = await request.body()  # cached: the handler parses the same bytes
                try:
                    body.decode("utf-8")
                except UnicodeDecodeError as error:
                    raise InvalidRequest(
                        f"the request body is not valid UTF-8: {error.reason} at byte {error.start}"
                    ) from None
            return await handler(request)

        return checked


__all__ = ["Utf8JsonRoute", "actor_of", "editable_page", "visible_page"]
