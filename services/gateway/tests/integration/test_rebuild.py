"""Read models are projections: dropped and rebuilt from position 0, they come out identical."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import asyncpg
import httpx
import pytest

from gateway.adapters.projection import ReadModelProjection
from gateway.adapters.tables import READ_MODEL_TABLES
from infra.eventstore import PostgresEventStore
from infra.projections import ProjectionRunner
from infra.testing.pipeline import eventually

pytestmark = pytest.mark.integration


async def snapshot(pool: asyncpg.Pool) -> dict[str, list[tuple[Any, ...]]]:
    tables = {}
    for table in READ_MODEL_TABLES:
        rows = await pool.fetch(f"SELECT * FROM {table}")
        tables[table] = sorted(tuple(str(v) for v in row.values()) for row in rows)
    return tables


async def test_rebuild_from_zero_gives_the_same_read_models(
    client: httpx.AsyncClient,
    event_store: PostgresEventStore,
    kit: ModuleType,
    pool: asyncpg.Pool,
    gateway: Any,
) -> None:
    # Live: two imports through the API, the services' events, a retry, a cancel.
    corpus_id = (await client.post("/v1/corpora", json={"slug": "r", "title": "R"})).json()["id"]

    async def corpus_visible() -> bool:
        return (await client.get(f"/v1/corpora/{corpus_id}")).status_code == 200

    await eventually(corpus_visible)
    jobs = []
    for n in range(2):
        accepted = (
            await client.post(
                f"/v1/corpora/{corpus_id}/imports",
                json={"source": {"kind": "iiif", "url": f"https://example.org/{n}.json"}},
            )
        ).json()
        jobs.append(accepted)
        pages = await kit.import_pages(
            event_store, corpus_id, accepted["manuscript_id"], accepted["job_id"], 6
        )
        for index, page_id in enumerate(pages):
            await kit.analyse(
                event_store, accepted["job_id"], page_id, fail="smudged" if index == 2 else None
            )
            if index != 2:
                await kit.export(event_store, accepted["job_id"], page_id)

    async def both_done() -> bool:
        statuses = [(await client.get(f"/v1/jobs/{j['job_id']}")).json()["status"] for j in jobs]
        return statuses == ["done", "done"]

    await eventually(both_done, timeout=20)
    assert (await client.post(f"/v1/jobs/{jobs[0]['job_id']}/retry")).status_code == 202
    page_ids = [
        p["id"]
        for p in (await client.get(f"/v1/manuscripts/{jobs[1]['manuscript_id']}/pages")).json()[
            "items"
        ]
    ]
    analyze = await client.post("/v1/jobs", json={"kind": "analyze", "page_ids": page_ids[:3]})
    assert analyze.status_code == 202

    async def analyze_visible() -> bool:
        return (await client.get(f"/v1/jobs/{analyze.json()['job_id']}")).status_code == 200

    await eventually(analyze_visible)
    assert (await client.post(f"/v1/jobs/{analyze.json()['job_id']}/cancel")).status_code == 202

    async def caught_up() -> bool:
        job = (await client.get(f"/v1/jobs/{analyze.json()['job_id']}")).json()
        return job["status"] == "cancelled" and (await client.get("/readyz")).json()["checks"][
            "projection"
        ].startswith("projection lag 0 ")

    await eventually(caught_up, timeout=20)
    live = await snapshot(pool)
    assert len(live["gw_pages"]) == 12
    assert len(live["gw_jobs"]) == 3

    # Rebuild with the gateway stopped, so this runner alone replays the log from position 0.
    gateway.stop()
    applied = await ProjectionRunner(event_store, ReadModelProjection()).rebuild()
    assert applied > 50
    assert await snapshot(pool) == live
