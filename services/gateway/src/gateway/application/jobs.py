"""Submit, retry and cancel jobs over pages that have already been imported."""

from __future__ import annotations

from uuid import UUID, uuid4

from contracts import (
    JobCancelled,
    JobCreated,
    Metadata,
    PageAnalysisRequested,
    Plan,
    SubmitJob,
    job_stream,
    page_stream,
)
from contracts.errors import InvalidRequest, ResourceConflict, ResourceNotFound
from gateway.application.imports import check_plan
from gateway.application.ports import PlanValidator, ReadModelQueries, refused_if_unrecordable
from gateway.domain.auth import Principal
from infra.eventstore import ANY, NO_STREAM, EventStore, StreamAppend

MAX_PAGES_PER_JOB = 20_000


async def submit_job(
    store: EventStore,
    read_models: ReadModelQueries,
    command: SubmitJob,
    validate_plan: PlanValidator,
    principal: Principal,
) -> UUID:
    if command.kind == "import":
        raise InvalidRequest("imports are submitted with POST /v1/corpora/{corpus}/imports")
    check_plan(command.plan, validate_plan)
    pages = await _target_pages(read_models, command)
    if not pages:
        raise InvalidRequest("the job selects no page")
    if len(pages) > MAX_PAGES_PER_JOB:
        raise InvalidRequest(f"{len(pages)} pages: at most {MAX_PAGES_PER_JOB} per job")
    corpora = {corpus for _, corpus in pages}
    if not all(principal.may_see(c) for c in corpora):
        raise ResourceNotFound("some of these pages do not exist")
    job_id = uuid4()
    created = JobCreated(
        job_id=job_id,
        kind=command.kind,
        manuscript_id=command.manuscript_id,
        corpus_id=next(iter(corpora)) if len(corpora) == 1 else None,
        page_ids=[page for page, _ in pages],
        plan=command.plan,
    )
    with refused_if_unrecordable():
        await store.append_streams(
            [
                StreamAppend(job_stream(job_id), [created], NO_STREAM),
                *_analysis_requests(job_id, [page for page, _ in pages], command.plan),
            ],
            metadata=Metadata(correlation_id=job_id, actor=principal.key_id),
        )
    return job_id


def _analysis_requests(job_id: UUID, page_ids: list[UUID], plan: Plan) -> list[StreamAppend]:
    return [
        StreamAppend(page_stream(p), [PageAnalysisRequested(page_id=p, job_id=job_id, plan=plan)])
        for p in page_ids
    ]


async def _target_pages(
    read_models: ReadModelQueries, command: SubmitJob
) -> list[tuple[UUID, UUID]]:
    if command.page_ids:
        wanted = list(dict.fromkeys(command.page_ids))
        found = {p.page_id: p.corpus_id for p in await read_models.pages_by_ids(wanted)}
        missing = [str(p) for p in wanted if p not in found]
        if missing:
            raise ResourceNotFound(f"no page {', '.join(missing[:5])}")
        return [(p, found[p]) for p in wanted]
    if command.manuscript_id:
        return await read_models.page_ids(manuscript_id=command.manuscript_id)
    if command.corpus_id:
        if await read_models.corpus(command.corpus_id) is None:
            raise ResourceNotFound(f"no corpus {command.corpus_id}")
        return await read_models.page_ids(corpus_id=command.corpus_id)
    raise InvalidRequest("name a corpus_id, a manuscript_id or page_ids")


async def retry_job(
    store: EventStore, read_models: ReadModelQueries, job_id: UUID, *, actor: str
) -> list[UUID]:
    """Request analysis again for the job's failed pages only; returns those pages."""
    job = await read_models.job(job_id)
    if job is None:
        raise ResourceNotFound(f"no job {job_id}")
    if job.cancelled:
        raise ResourceConflict(f"job {job_id} was cancelled")
    failed = [p.page_id for p in await read_models.job_pages(job_id, failed_only=True)]
    if not failed:
        raise ResourceConflict(f"job {job_id} has no failed page to retry")
    plan = Plan.model_validate(job.plan)
    await store.append_streams(
        _analysis_requests(job_id, failed, plan),
        metadata=Metadata(correlation_id=job_id, actor=actor),
    )
    return failed


async def cancel_job(
    store: EventStore,
    read_models: ReadModelQueries,
    job_id: UUID,
    *,
    actor: str,
    reason: str | None = None,
) -> None:
    job = await read_models.job(job_id)
    if job is None:
        raise ResourceNotFound(f"no job {job_id}")
    if job.cancelled or job.completed:
        raise ResourceConflict(f"job {job_id} is already {job.status}")
    await store.append(
        job_stream(job_id),
        [JobCancelled(job_id=job_id, reason=reason)],
        expected_version=ANY,
        metadata=Metadata(correlation_id=job_id, actor=actor),
    )
