"""Submit, retry and cancel jobs over pages that have already been imported.

Retry and cancel decide on the job's own stream and append against its version: of two racing
commands one is recorded; the other decides once more on what is now recorded, and answers
409 naming the version when it loses again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from uuid import UUID, uuid4

from contracts import (
    Event,
    JobCancelled,
    JobCreated,
    JobRetried,
    Metadata,
    PageAnalysisRequested,
    PageStage,
    PageStageRerequested,
    Plan,
    RetriedPage,
    SubmitJob,
    job_stream,
    page_stream,
)
from contracts.errors import (
    InvalidRequest,
    ResourceConflict,
    ResourceNotFound,
    WrongExpectedVersion,
)
from gateway.application.imports import check_plan
from gateway.application.ports import PlanValidator, ReadModelQueries, refused_if_unrecordable
from gateway.domain.auth import Principal
from gateway.domain.job_history import JobHistory, fold_job
from gateway.domain.page_progress import fold_page
from infra.eventstore import NO_STREAM, EventStore, StreamAppend

MAX_PAGES_PER_JOB = 20_000
log = logging.getLogger(__name__)


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
            metadata=Metadata(correlation_id=job_id, actor=principal.actor),
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
    """Run each failed page of the job again from the stage where it failed; returns them.

    The job's candidates come from the read model; whether each one failed, and where, is
    read from its own stream, and the job's `job.retried` is appended against the job
    stream's version with the pages' re-requests, in one transaction.
    """
    for last_try in (False, True):
        history = await _history(store, job_id)
        if (refusal := history.retry_refusal()) is not None:
            raise ResourceConflict(f"job {job_id} cannot be retried: {refusal}")
        failed = await _failed_pages(store, read_models, job_id)
        if not failed:
            raise ResourceConflict(f"job {job_id} has no failed page to retry")
        assert history.created is not None
        retried = JobRetried(
            job_id=job_id, pages=[RetriedPage(page_id=f.page_id, stage=f.stage) for f in failed]
        )
        plan = history.created.plan
        appends = [
            StreamAppend(job_stream(job_id), [retried], history.version),
            *(
                StreamAppend(page_stream(f.page_id), [_rerun(job_id, f, plan)], f.version)
                for f in failed
            ),
        ]
        try:
            await store.append_streams(
                appends, metadata=Metadata(correlation_id=job_id, actor=actor)
            )
        except WrongExpectedVersion as error:
            if last_try:
                raise await _changed_meanwhile(store, job_id) from error
            log.info("job %s changed while a retry was decided; deciding again", job_id)
            continue
        return [f.page_id for f in failed]
    raise AssertionError("unreachable")


async def cancel_job(
    store: EventStore, job_id: UUID, *, actor: str, reason: str | None = None
) -> None:
    """Record `job.cancelled` unless the job stream says it already ended."""
    for last_try in (False, True):
        history = await _history(store, job_id)
        if (refusal := history.cancel_refusal()) is not None:
            raise ResourceConflict(f"job {job_id} cannot be cancelled: {refusal}")
        try:
            await store.append(
                job_stream(job_id),
                [JobCancelled(job_id=job_id, reason=reason)],
                expected_version=history.version,
                metadata=Metadata(correlation_id=job_id, actor=actor),
            )
        except WrongExpectedVersion as error:
            if last_try:
                raise await _changed_meanwhile(store, job_id) from error
            log.info("job %s changed while a cancel was decided; deciding again", job_id)
            continue
        return


async def _history(store: EventStore, job_id: UUID) -> JobHistory:
    history = fold_job(await store.read_stream(job_stream(job_id)))
    if history.created is None:
        raise ResourceNotFound(f"no job {job_id}")
    return history


@dataclass(frozen=True)
class PageToRetry:
    page_id: UUID
    stage: PageStage
    version: int


async def _failed_pages(
    store: EventStore, read_models: ReadModelQueries, job_id: UUID
) -> list[PageToRetry]:
    """The job's failed pages, as their streams tell now (the read model may lag)."""
    failed = []
    for row in await read_models.job_pages(job_id, failed_only=True):
        progress = fold_page(await store.read_stream(page_stream(row.page_id)))
        if progress.failed is not None:
            failed.append(PageToRetry(row.page_id, progress.failed, progress.version))
    return failed


def _rerun(job_id: UUID, page: PageToRetry, plan: Plan) -> Event:
    if page.stage == "analysis":
        return PageAnalysisRequested(page_id=page.page_id, job_id=job_id, plan=plan)
    return PageStageRerequested(
        page_id=page.page_id,
        job_id=job_id,
        stage=page.stage,
        attempt=1,
        reason=f"retry of the failed {page.stage} stage",
    )


async def _changed_meanwhile(store: EventStore, job_id: UUID) -> ResourceConflict:
    version = await store.stream_version(job_stream(job_id))
    return ResourceConflict(
        f"job {job_id} changed while the request was decided (job stream now at version "
        f"{version}); ask again"
    )
