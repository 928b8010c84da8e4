"""Request an import: the manuscript's request and its job, appended in one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID, uuid4

from contracts import (
    CorpusCreated,
    IiifSource,
    ImageListSource,
    ImportSource,
    JobCreated,
    ManuscriptImportRequested,
    Metadata,
    Plan,
    RequestImport,
    corpus_stream,
    job_stream,
    manuscript_stream,
)
from contracts.errors import FetchRefused, InvalidRequest, ResourceNotFound
from gateway.application.ports import PlanValidator, refused_if_unrecordable
from infra.addresses import AddressPolicy
from infra.eventstore import NO_STREAM, EventStore, StreamAppend


@dataclass(frozen=True)
class ImportAccepted:
    job_id: UUID
    manuscript_id: UUID


async def request_import(
    store: EventStore,
    command: RequestImport,
    plan: Plan,
    validate_plan: PlanValidator,
    *,
    actor: str,
    addresses: AddressPolicy,
) -> ImportAccepted:
    check_source(command.source, addresses)
    # The write model, not a read model: a corpus created a moment ago may not be projected yet.
    corpus = await _corpus(store, command.corpus_id)
    # A plan that names no profile runs with the corpus's, as a job over the corpus would.
    plan = plan if plan.profile else plan.model_copy(update={"profile": corpus.profile})
    check_plan(plan, validate_plan)
    job_id, manuscript_id = uuid4(), uuid4()
    requested = ManuscriptImportRequested(
        manuscript_id=manuscript_id,
        corpus_id=command.corpus_id,
        job_id=job_id,
        source=command.source,
    )
    created = JobCreated(
        job_id=job_id,
        kind="import",
        corpus_id=command.corpus_id,
        manuscript_id=manuscript_id,
        plan=plan,
    )
    with refused_if_unrecordable():
        await store.append_streams(
            [
                StreamAppend(manuscript_stream(manuscript_id), [requested], NO_STREAM),
                StreamAppend(job_stream(job_id), [created], NO_STREAM),
            ],
            metadata=Metadata(correlation_id=job_id, actor=actor),
        )
    return ImportAccepted(job_id, manuscript_id)


async def _corpus(store: EventStore, corpus_id: UUID) -> CorpusCreated:
    for recorded in await store.read_stream(corpus_stream(corpus_id)):
        if isinstance(recorded.data, CorpusCreated):
            return recorded.data
    raise ResourceNotFound(f"no corpus {corpus_id}")


def check_plan(plan: Plan, validate_plan: PlanValidator) -> None:
    problems = validate_plan(plan)
    if problems:
        raise InvalidRequest("the plan cannot run: " + "; ".join(problems), problems=problems)


def check_source(source: ImportSource, addresses: AddressPolicy) -> None:
    """Refuse, before anything is recorded, URLs ingest could never fetch.

    Only what the URL itself shows is judged here (scheme, literal address, local names);
    host names are resolved and checked by ingest when it connects (see `infra.addresses`).
    """
    if isinstance(source, IiifSource):
        urls = [str(source.url)]
    elif isinstance(source, ImageListSource):
        urls = [str(image.url) for image in source.images]
    else:
        return
    refused = []
    for url in dict.fromkeys(urls):
        try:
            addresses.check_url(url)
        except FetchRefused as error:
            refused.append(f"{url}: {error}")
    if refused:
        more = f" (and {len(refused) - 1} more)" if len(refused) > 1 else ""
        raise InvalidRequest(f"cannot fetch {refused[0]}{more}", problems=refused)
