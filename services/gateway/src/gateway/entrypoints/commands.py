"""Command endpoints: validate, append events, answer 202 with the URL to follow."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, Response

from contracts import CreateCorpus, RequestImport, SubmitJob
from gateway.application.corpora import create_corpus
from gateway.application.imports import request_import
from gateway.application.jobs import cancel_job, retry_job, submit_job
from gateway.domain.auth import Principal
from gateway.entrypoints.problems import BODY_PROBLEMS, PROBLEM_RESPONSES
from gateway.entrypoints.schemas import Accepted, CancelRequest, ImportRequest, RetryOut
from gateway.entrypoints.security import Context, Writer
from gateway.entrypoints.text_guard import no_nul_characters

router = APIRouter(
    prefix="/v1",
    tags=["commands"],
    responses=PROBLEM_RESPONSES | BODY_PROBLEMS,
    dependencies=[Depends(no_nul_characters)],
)


def accepted(response: Response, location: str, body: Accepted) -> Accepted:
    response.headers["Location"] = location
    return body


def check_corpus(principal: Principal, corpus_id: UUID | None) -> None:
    if not principal.may_see(corpus_id):
        raise HTTPException(403, "this API key is limited to other corpora")


@router.post(
    "/corpora",
    status_code=202,
    response_model=Accepted,
    responses={409: PROBLEM_RESPONSES[404] | {"description": "slug already taken"}},
)
async def post_corpus(
    command: CreateCorpus, response: Response, context: Context, principal: Writer
) -> Accepted:
    if principal.corpora is not None:
        raise HTTPException(403, "a key limited to some corpora cannot create one")
    corpus_id = await create_corpus(context.store, command, actor=principal.actor)
    url = f"/v1/corpora/{corpus_id}"
    return accepted(response, url, Accepted(id=corpus_id, status_url=url))


@router.post("/corpora/{corpus_id}/imports", status_code=202, response_model=Accepted)
async def post_import(
    corpus_id: UUID,
    body: ImportRequest,
    response: Response,
    context: Context,
    principal: Writer,
) -> Accepted:
    check_corpus(principal, corpus_id)
    result = await request_import(
        context.store,
        RequestImport(corpus_id=corpus_id, source=body.source),
        body.plan,
        context.plan_validator,
        actor=principal.actor,
        addresses=context.addresses,
    )
    url = f"/v1/jobs/{result.job_id}"
    return accepted(
        response,
        url,
        Accepted(
            id=result.job_id,
            status_url=url,
            job_id=result.job_id,
            manuscript_id=result.manuscript_id,
        ),
    )


@router.post("/jobs", status_code=202, response_model=Accepted)
async def post_job(
    command: SubmitJob, response: Response, context: Context, principal: Writer
) -> Accepted:
    if command.corpus_id is not None:
        check_corpus(principal, command.corpus_id)
    job_id = await submit_job(
        context.store, context.read_models, command, context.plan_validator, principal
    )
    url = f"/v1/jobs/{job_id}"
    return accepted(response, url, Accepted(id=job_id, status_url=url, job_id=job_id))


@router.post(
    "/jobs/{job_id}/retry",
    status_code=202,
    response_model=RetryOut,
    responses={409: PROBLEM_RESPONSES[404] | {"description": "nothing to retry"}},
)
async def post_retry(
    job_id: UUID, response: Response, context: Context, principal: Writer
) -> RetryOut:
    await _visible_job(context, principal, job_id)
    retried = await retry_job(context.store, context.read_models, job_id, actor=principal.actor)
    response.headers["Location"] = f"/v1/jobs/{job_id}"
    return RetryOut(job_id=job_id, retried=retried)


@router.post(
    "/jobs/{job_id}/cancel",
    status_code=202,
    response_model=Accepted,
    responses={409: PROBLEM_RESPONSES[404] | {"description": "already finished"}},
)
async def post_cancel(
    job_id: UUID,
    response: Response,
    context: Context,
    principal: Writer,
    body: CancelRequest | None = None,
) -> Accepted:
    await _visible_job(context, principal, job_id)
    await cancel_job(
        context.store,
        job_id,
        actor=principal.actor,
        reason=body.reason if body else None,
    )
    url = f"/v1/jobs/{job_id}"
    return accepted(response, url, Accepted(id=job_id, status_url=url, job_id=job_id))


async def _visible_job(context: Context, principal: Principal, job_id: UUID) -> None:
    job = await context.read_models.job(job_id)
    if job is None or not principal.may_see(job.corpus_id):
        raise HTTPException(404, f"no job {job_id}")
