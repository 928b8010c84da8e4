"""Read-model endpoints: corpora, manuscripts, pages and jobs.

They read `context.reads`, which may be a streaming replica within its staleness bound;
commands check what they act on against the primary (`fresh=True`, `context.read_models`).
"""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, HTTPException, Query

from gateway.application.page_history import page_row_as_of
from gateway.domain.auth import Principal
from gateway.domain.models import ManuscriptRow, PageRow
from gateway.entrypoints.as_of import AsOfParam
from gateway.entrypoints.problems import PROBLEM_RESPONSES
from gateway.entrypoints.schemas import (
    CorpusDetail,
    CorpusOut,
    JobOut,
    Listing,
    ManuscriptOut,
    PageOut,
)
from gateway.entrypoints.security import Context, Reader
from gateway.entrypoints.views import corpus_view, job_view, manuscript_view, page_view

router = APIRouter(prefix="/v1", tags=["read models"], responses=PROBLEM_RESPONSES)

Offset = Annotated[int, Query(ge=0, le=1_000_000)]
Limit = Annotated[int, Query(ge=1, le=500)]
PageStatus = Literal[
    "registered", "normalised", "queued", "analyzing", "analyzed", "exported", "failed"
]
JobStatus = Literal["pending", "running", "done", "failed", "cancelled"]


def _not_found(kind: str, key: UUID) -> HTTPException:
    return HTTPException(404, f"no {kind} {key}")


@router.get("/corpora", response_model=Listing[CorpusOut])
async def list_corpora(
    context: Context, principal: Reader, offset: Offset = 0, limit: Limit = 50
) -> Listing[CorpusOut]:
    rows, total = await context.reads.corpora(principal.corpora, offset, limit)
    return Listing(items=[corpus_view(r) for r in rows], total=total, offset=offset, limit=limit)


@router.get("/corpora/{corpus_id}", response_model=CorpusDetail)
async def get_corpus(
    corpus_id: UUID, context: Context, principal: Reader, offset: Offset = 0, limit: Limit = 50
) -> CorpusDetail:
    row = await context.reads.corpus(corpus_id)
    if row is None or not principal.may_see(corpus_id):
        raise _not_found("corpus", corpus_id)
    manuscripts, total = await context.reads.manuscripts_of(corpus_id, offset, limit)
    listing: Listing[ManuscriptOut] = Listing(
        items=[manuscript_view(m) for m in manuscripts], total=total, offset=offset, limit=limit
    )
    return CorpusDetail(**corpus_view(row).model_dump(), manuscripts=listing)


async def visible_manuscript(
    context: Context, principal: Principal, manuscript_id: UUID, *, fresh: bool = False
) -> ManuscriptRow:
    row = await (context.read_models if fresh else context.reads).manuscript(manuscript_id)
    if row is None or not principal.may_see(row.corpus_id):
        raise _not_found("manuscript", manuscript_id)
    return row


async def visible_page(
    context: Context, principal: Principal, page_id: UUID, *, fresh: bool = False
) -> PageRow:
    row = await (context.read_models if fresh else context.reads).page(page_id)
    if row is None or not principal.may_see(row.corpus_id):
        raise _not_found("page", page_id)
    return row


@router.get("/manuscripts/{manuscript_id}", response_model=ManuscriptOut)
async def get_manuscript(manuscript_id: UUID, context: Context, principal: Reader) -> ManuscriptOut:
    return manuscript_view(await visible_manuscript(context, principal, manuscript_id))


@router.get("/manuscripts/{manuscript_id}/pages", response_model=Listing[PageOut])
async def list_pages(
    manuscript_id: UUID,
    context: Context,
    principal: Reader,
    status: PageStatus | None = None,
    offset: Offset = 0,
    limit: Limit = 100,
) -> Listing[PageOut]:
    await visible_manuscript(context, principal, manuscript_id)
    rows, total = await context.reads.pages_of(manuscript_id, status, offset, limit)
    return Listing(items=[page_view(r) for r in rows], total=total, offset=offset, limit=limit)


@router.get("/pages/{page_id}", response_model=PageOut)
async def get_page(
    page_id: UUID, context: Context, principal: Reader, as_of: AsOfParam = None
) -> PageOut:
    row = await visible_page(context, principal, page_id)
    if as_of is None:
        return page_view(row)
    return page_view(await page_row_as_of(context.store, page_id, as_of))


@router.get("/jobs", response_model=Listing[JobOut])
async def list_jobs(
    context: Context,
    principal: Reader,
    status: JobStatus | None = None,
    offset: Offset = 0,
    limit: Limit = 50,
) -> Listing[JobOut]:
    rows, total = await context.reads.jobs(principal.corpora, status, offset, limit)
    return Listing(items=[job_view(r, []) for r in rows], total=total, offset=offset, limit=limit)


@router.get("/jobs/{job_id}", response_model=JobOut)
async def get_job(job_id: UUID, context: Context, principal: Reader) -> JobOut:
    row = await context.reads.job(job_id)
    if row is None or not principal.may_see(row.corpus_id):
        raise _not_found("job", job_id)
    failed = await context.reads.job_pages(job_id, failed_only=True)
    return job_view(row, failed)
