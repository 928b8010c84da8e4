"""A job's progress from the services' events, its completion recorded once, and its retry."""

from __future__ import annotations

import asyncio
from types import ModuleType
from typing import Any
from uuid import UUID

import httpx
import pytest

from contracts import job_stream
from gateway.adapters.projection import ReadModelProjection
from gateway.adapters.queries import ReadModels
from gateway.application.completion import complete_finished_jobs
from infra.eventstore import PostgresEventStore
from infra.projections import ProjectionRunner
from infra.testing.pipeline import eventually

pytestmark = pytest.mark.integration


async def start_import(client: httpx.AsyncClient) -> tuple[UUID, UUID, UUID]:
    response = await client.post("/v1/corpora", json={"slug": "psalters", "title": "Psalters"})
    corpus_id = response.json()["id"]

    async def corpus_visible() -> bool:
        return (await client.get(f"/v1/corpora/{corpus_id}")).status_code == 200

    await eventually(corpus_visible)
    accepted = (
        await client.post(
            f"/v1/corpora/{corpus_id}/imports",
            json={"source": {"kind": "iiif", "url": "https://example.org/psalter.json"}},
        )
    ).json()
    return UUID(corpus_id), UUID(accepted["manuscript_id"]), UUID(accepted["job_id"])


async def job_when(
    client: httpx.AsyncClient, job_id: UUID, status: str, **counts: int
) -> dict[str, Any]:
    async def reached() -> bool:
        job = (await client.get(f"/v1/jobs/{job_id}")).json()
        return bool(job["status"] == status) and counts.items() <= job["counts"].items()

    await eventually(reached, timeout=20)
    job: dict[str, Any] = (await client.get(f"/v1/jobs/{job_id}")).json()
    return job


async def test_thirty_pages_three_failing_end_done_and_retry_reruns_only_those(
    client: httpx.AsyncClient, event_store: PostgresEventStore, kit: ModuleType
) -> None:
    corpus_id, manuscript_id, job_id = await start_import(client)
    # Ingest imports 30 pages; the analyzer fails 3 of them for good, the rest are exported.
    pages = await kit.import_pages(event_store, corpus_id, manuscript_id, job_id, 30)
    failing = {pages[3]: "engine crashed", pages[11]: "blank page", pages[29]: "timeout"}
    # The manuscript is imported before its pages are registered (two appends): the job may
    # be seen running before it counts them.
    running = await job_when(client, job_id, "running", registered=30)
    assert running["counts"]["registered"] == 30
    for page_id in pages:
        await kit.analyse(event_store, job_id, page_id, fail=failing.get(page_id))
        if page_id not in failing:
            await kit.export(event_store, job_id, page_id)

    done = await job_when(client, job_id, "done")
    assert done["counts"] == {
        "registered": 30,
        "normalised": 30,
        "analyzed": 27,
        "exported": 27,
        "failed": 3,
    }
    assert done["finished_at"] is not None
    assert done["started_at"] is not None
    reasons = {UUID(p["page_id"]): p["reason"] for p in done["failed_pages"]}
    assert reasons == {p: f"engine-failed: {r}" for p, r in failing.items()}
    [completed] = [
        e for e in await event_store.read_stream(job_stream(job_id)) if e.type == "job.completed"
    ]
    assert completed.data.summary.exported == 27  # type: ignore[attr-defined]
    assert completed.data.summary.failed == 3  # type: ignore[attr-defined]

    # Retry: page.analysis_requested again for exactly the three failed pages.
    before = await event_store.read_all(types=["page.analysis_requested"])
    response = await client.post(f"/v1/jobs/{job_id}/retry")
    assert response.status_code == 202
    assert set(map(UUID, response.json()["retried"])) == set(failing)
    requested = await event_store.read_all(types=["page.analysis_requested"])
    new = requested[len(before) :]
    assert sorted(str(e.data.page_id) for e in new) == sorted(map(str, failing))  # type: ignore[attr-defined]
    assert {e.correlation_id for e in new} == {job_id}
    rerun = await job_when(client, job_id, "running")
    assert rerun["counts"]["failed"] == 0

    # This time they succeed: the job completes again, with every page exported.
    for page_id in failing:
        await kit.analyse(event_store, job_id, page_id)
        await kit.export(event_store, job_id, page_id)
    final = await job_when(client, job_id, "done")
    assert (final["counts"]["exported"], final["counts"]["failed"]) == (30, 0)
    completions = [
        e for e in await event_store.read_stream(job_stream(job_id)) if e.type == "job.completed"
    ]
    assert len(completions) == 2
    nothing = await client.post(f"/v1/jobs/{job_id}/retry")
    assert nothing.status_code == 409


async def test_completion_is_recorded_once_by_racing_replicas(
    gateway_database: str, kit: ModuleType, event_store: PostgresEventStore
) -> None:
    from uuid import uuid4

    from contracts import CorpusCreated, JobCreated, Plan, corpus_stream

    corpus_id, manuscript_id, job_id = uuid4(), uuid4(), uuid4()
    await event_store.append(
        corpus_stream(corpus_id),
        [CorpusCreated(corpus_id=corpus_id, slug="c", title="C", profile="default")],
    )
    await event_store.append(
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
    pages = await kit.import_pages(event_store, corpus_id, manuscript_id, job_id, 4)
    for page_id in pages:
        await kit.analyse(event_store, job_id, page_id)
        await kit.export(event_store, job_id, page_id)
    await ProjectionRunner(event_store, ReadModelProjection()).catch_up()
    # Two replicas, each with its own pool, both see the finished job and race to record it.
    replicas = [await PostgresEventStore.connect(gateway_database) for _ in range(2)]
    try:
        recorded = await asyncio.gather(
            *[complete_finished_jobs(store, ReadModels(store.pool)) for store in replicas]
        )
    finally:
        for store in replicas:
            await store.close()
    assert sorted(recorded) == [0, 1]
    assert [e.type for e in await event_store.read_stream(job_stream(job_id))] == [
        "job.created",
        "job.completed",
    ]


async def test_cancel_then_cancel_again_conflicts(client: httpx.AsyncClient) -> None:
    _, _, job_id = await start_import(client)

    async def job_visible() -> bool:
        return (await client.get(f"/v1/jobs/{job_id}")).status_code == 200

    await eventually(job_visible)
    response = await client.post(f"/v1/jobs/{job_id}/cancel", json={"reason": "wrong manuscript"})
    assert response.status_code == 202
    cancelled = await job_when(client, job_id, "cancelled")
    assert cancelled["finished_at"] is not None
    again = await client.post(f"/v1/jobs/{job_id}/cancel")
    assert again.status_code == 409
