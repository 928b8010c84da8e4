"""IIIF Content Search within a manuscript: 2.0 (declared first in the manifest) and 1.0."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode
from uuid import UUID

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from gateway.application.search import search_lines
from gateway.domain.content_search import (
    SearchPageRequest,
    annotation_list_v1,
    annotation_page,
    term_list_v1,
    term_page,
)
from gateway.domain.search_hits import Hit, SearchFilters
from gateway.domain.search_query import parse_query
from gateway.entrypoints.problems import PROBLEM_RESPONSES
from gateway.entrypoints.reads import visible_manuscript
from gateway.entrypoints.security import Context, Reader

router = APIRouter(prefix="/v1", tags=["IIIF content search"], responses=PROBLEM_RESPONSES)
MEDIA_TYPE = "application/ld+json"
_UNDERSTOOD = {"q", "page", "api_key"}
_JSON_LD: dict[int | str, dict[str, Any]] = {
    200: {"content": {MEDIA_TYPE: {}}, "description": "the IIIF answer"}
}

Page = Annotated[int, Query(ge=0, le=100_000)]


def _ignored(request: Request) -> list[str]:
    return sorted(set(request.query_params) - _UNDERSTOOD)


async def _hits_page(
    request: Request,
    context: Context,
    principal: Reader,
    manuscript_id: UUID,
    q: str | None,
    page: int,
) -> tuple[SearchPageRequest, list[Hit]]:
    query = parse_query(q, context.settings.search_max_query_chars)
    await visible_manuscript(context, principal, manuscript_id)
    size = context.settings.search_page_size
    found = await search_lines(
        context.search,
        query,
        SearchFilters(visible=principal.corpora, manuscript_id=manuscript_id),
        limit=size,
        offset=page * size,
    )
    described = SearchPageRequest(
        base_url=context.settings.public_url,
        manuscript_id=manuscript_id,
        q=query.text,
        page=page,
        page_size=size,
        total=found.total,
        ignored=_ignored(request),
    )
    return described, found.hits


@router.get("/manuscripts/{manuscript_id}/search", responses=_JSON_LD, response_class=JSONResponse)
async def content_search(
    manuscript_id: UUID,
    request: Request,
    context: Context,
    principal: Reader,
    q: str | None = None,
    page: Page = 0,
) -> JSONResponse:
    described, hits = await _hits_page(request, context, principal, manuscript_id, q, page)
    return JSONResponse(annotation_page(described, hits), media_type=MEDIA_TYPE)


@router.get(
    "/manuscripts/{manuscript_id}/search/v1", responses=_JSON_LD, response_class=JSONResponse
)
async def content_search_v1(
    manuscript_id: UUID,
    request: Request,
    context: Context,
    principal: Reader,
    q: str | None = None,
    page: Page = 0,
) -> JSONResponse:
    described, hits = await _hits_page(request, context, principal, manuscript_id, q, page)
    return JSONResponse(annotation_list_v1(described, hits), media_type=MEDIA_TYPE)


async def _terms(
    context: Context, principal: Reader, manuscript_id: UUID, q: str | None
) -> list[tuple[str, int]]:
    query = parse_query(q, context.settings.search_max_query_chars)
    await visible_manuscript(context, principal, manuscript_id)
    return await context.search.autocomplete(
        manuscript_id, query.text, context.settings.autocomplete_terms
    )


@router.get(
    "/manuscripts/{manuscript_id}/autocomplete", responses=_JSON_LD, response_class=JSONResponse
)
async def autocomplete(
    manuscript_id: UUID, request: Request, context: Context, principal: Reader, q: str | None = None
) -> JSONResponse:
    terms = await _terms(context, principal, manuscript_id, q)
    base = f"{context.settings.public_url.rstrip('/')}/v1/manuscripts/{manuscript_id}"
    own = f"{base}/autocomplete?{urlencode({'q': q})}"
    answer = term_page(own, f"{base}/search", terms, _ignored(request))
    return JSONResponse(answer, media_type=MEDIA_TYPE)


@router.get(
    "/manuscripts/{manuscript_id}/autocomplete/v1",
    responses=_JSON_LD,
    response_class=JSONResponse,
)
async def autocomplete_v1(
    manuscript_id: UUID, request: Request, context: Context, principal: Reader, q: str | None = None
) -> JSONResponse:
    terms = await _terms(context, principal, manuscript_id, q)
    base = f"{context.settings.public_url.rstrip('/')}/v1/manuscripts/{manuscript_id}"
    own = f"{base}/autocomplete/v1?{urlencode({'q': q})}"
    answer = term_list_v1(own, f"{base}/search/v1", terms, _ignored(request))
    return JSONResponse(answer, media_type=MEDIA_TYPE)
