"""Cancel and retry racing on real PostgreSQL: decided on the job stream, one of them wins."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from types import ModuleType
from uuid import UUID, uuid4

import pytest

from contracts import (
    CorpusCreated,
    JobCreated,
    Plan,
    corpus_stream,
    job_stream,
)
from contracts.errors import ResourceConflict
from gateway.adapters.projection import ReadModelProjection
from gateway.adapters.queries import ReadModels
from gateway.application.jobs import cancel_job, retry_job
from infra.eventstore import PostgresEventStore
from infra.projections import ProjectionRunner

pytestmark = pytest.mark.integration


@pytest.fixture
async def replicas(gateway_database: str) -> AsyncIterator[list[PostgresEventStore]]:
    """Two gateway replicas, each with a pool of its own."""
    stores = [await PostgresEventStore.connect(gateway_database) for _ in range(2)]
    yield stores
    for store in stores:
        await store.close()


async def import_job(store: PostgresEventStore, kit: ModuleType, failing: int) -> UUID:
    """An import job of 3 pages, `failing` of them failed for good in analysis."""
    corpus_id, manuscript_id, job_id = uuid4(), uuid4(), uuid4()
    await store.append(
        corpus_stream(corpus_id),
        [
            CorpusCreated(
                corpus_id=corpus_id, slug=f"c{corpus_id.hex[:8]}", title="C", profile="default"
            )
        ],
    )
    await store.append(
        job_stream(job_id),
        [
            JobCreated(
                job_id=job_id,
                kind="import",
                corpus_id=corpus_id,
                manuscript_id=manuscript_id,
                plan=Plan(),
            )
        ],
    )
    pages = await kit.import_pages(store, corpus_id, manuscript_id, job_id, 3)
    for n, page_id in enumerate(pages):
        await kit.analyse(store, job_id, page_id, fail="engine crashed" if n < failing else None)
    await ProjectionRunner(store, ReadModelProjection()).catch_up()
    return job_id


async def outcome(call: asyncio.Future[object] | object) -> str:
    try:
        await call  # type: ignore[misc]
    except ResourceConflict as error:
        return f"409: {error}"
    return "recorded"


async def test_two_racing_cancels_record_exactly_one(
    event_store: PostgresEventStore, replicas: list[PostgresEventStore], kit: ModuleType
) -> None:
    for _ in range(5):
        job_id = await import_job(event_store, kit, failing=0)
        results = await asyncio.gather(
            *(outcome(cancel_job(store, job_id, actor=f"k{n}")) for n, store in enumerate(replicas))
        )
        assert sorted(r.split(":")[0] for r in results) == ["409", "recorded"]
        [refusal] = [r for r in results if r.startswith("409")]
        assert "already cancelled (job stream at version 2)" in refusal
        types = [e.type for e in await event_store.read_stream(job_stream(job_id))]
        assert types == ["job.created", "job.cancelled"]


async def test_cancel_racing_retry_never_leaves_a_retry_after_the_cancel(
    event_store: PostgresEventStore, replicas: list[PostgresEventStore], kit: ModuleType
) -> None:
    for _ in range(5):
        job_id = await import_job(event_store, kit, failing=1)
        cancelling, retrying = replicas
        cancelled, retried = await asyncio.gather(
            outcome(cancel_job(cancelling, job_id, actor="k1")),
            outcome(retry_job(retrying, ReadModels(retrying.pool), job_id, actor="k2")),
        )
        types = [e.type for e in await event_store.read_stream(job_stream(job_id))]
        # The cancel always lands (after a retry it is still allowed); a retry that comes
        # second sees the cancel and is refused, never recorded after it.
        assert cancelled == "recorded"
        assert types.count("job.cancelled") == 1
        if retried == "recorded":
            assert types == ["job.created", "job.retried", "job.cancelled"]
        else:
            assert "was cancelled" in retried
            assert types == ["job.created", "job.cancelled"]
