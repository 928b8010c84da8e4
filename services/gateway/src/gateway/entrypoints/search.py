"""`GET /v1/search`: ranked lines with highlighted snippets, boxes and links, across corpora."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel

from gateway.application.search import search_lines
from gateway.domain.search_hits import Hit, SearchFilters
from gateway.domain.search_query import Cursor, parse_query
from gateway.entrypoints.problems import PROBLEM_RESPONSES
from gateway.entrypoints.reads import PageStatus, visible_manuscript
from gateway.entrypoints.security import Context, Reader

router = APIRouter(prefix="/v1", tags=["search"], responses=PROBLEM_RESPONSES)


class BoxOut(BaseModel):
    x: int
    y: int
    w: int
    h: int


class SearchHitOut(BaseModel):
    page_id: UUID
    line_id: str
    line_number: int
    region_id: str
    manuscript_id: UUID
    corpus_id: UUID
    text: str
    snippet: str
    """The line, HTML-escaped, with each match in `<mark>`."""
    matches: list[str]
    language: str | None
    score: float
    status: str | None
    recorded_at: datetime
    box: BoxOut
    """In the master image's pixels."""
    image: BoxOut
    canvas_id: str
    canvas_box: BoxOut
    """In canvas coordinates: what a IIIF viewer draws."""
    links: dict[str, str]


class SearchResults(BaseModel):
    q: str
    total: int
    total_exact: bool
    """False when more lines match than are ranked: `total` is then a lower bound."""
    items: list[SearchHitOut]
    next_cursor: str | None
    next: str | None


def hit_view(hit: Hit, canvas_id: str) -> SearchHitOut:
    box, scaled = hit.box, hit.canvas_box()
    page = f"/v1/pages/{hit.page_id}"
    return SearchHitOut(
        page_id=hit.page_id,
        line_id=hit.line_id,
        line_number=hit.line_no,
        region_id=hit.region_id,
        manuscript_id=hit.manuscript_id,
        corpus_id=hit.corpus_id,
        text=hit.text,
        snippet=hit.snippet.html(),
        matches=hit.snippet.matches,
        language=hit.language,
        score=hit.score,
        status=hit.status,
        recorded_at=hit.recorded_at,
        box=BoxOut(x=box.x, y=box.y, w=box.width, h=box.height),
        image=BoxOut(x=0, y=0, w=hit.image_size[0], h=hit.image_size[1]),
        canvas_id=canvas_id,
        canvas_box=BoxOut(x=scaled.x, y=scaled.y, w=scaled.width, h=scaled.height),
        links={
            "page": page,
            "analysis": f"{page}/analysis",
            "manuscript": f"/v1/manuscripts/{hit.manuscript_id}",
        },
    )


@router.get("/search", response_model=SearchResults)
async def search(
    request: Request,
    context: Context,
    principal: Reader,
    q: Annotated[str | None, Query(description='words, "a phrase", -excluded, a or b')] = None,
    corpus: UUID | None = None,
    manuscript: UUID | None = None,
    status: PageStatus | None = None,
    recorded_from: Annotated[datetime | None, Query(alias="from")] = None,
    recorded_to: Annotated[datetime | None, Query(alias="to")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=300)] = None,
) -> SearchResults:
    query = parse_query(q, context.settings.search_max_query_chars)
    after = Cursor.decode(cursor) if cursor else None
    if corpus is not None and not principal.may_see(corpus):
        raise HTTPException(404, f"no corpus {corpus}")
    if manuscript is not None:
        await visible_manuscript(context, principal, manuscript)
    filters = SearchFilters(
        visible=principal.corpora,
        corpus_id=corpus,
        manuscript_id=manuscript,
        status=status,
        recorded_from=recorded_from,
        recorded_to=recorded_to,
    )
    found = await search_lines(context.search, query, filters, limit=limit, cursor=after)
    base = context.settings.public_url.rstrip("/")
    items = [hit_view(h, h.canvas_id or f"{base}/v1/pages/{h.page_id}/canvas") for h in found.hits]
    next_cursor = next_url = None
    if len(found.hits) == limit:
        last = found.hits[-1]
        next_cursor = Cursor(last.score, last.page_id, last.line_no).encode()
        following = request.url.include_query_params(cursor=next_cursor)
        next_url = f"{following.path}?{following.query}"
    return SearchResults(
        q=query.text,
        total=found.total,
        total_exact=found.exact,
        items=items,
        next_cursor=next_cursor,
        next=next_url,
    )
