"""Read models from a streaming replica, within a staleness bound, else from the primary.

The test owns a primary and a standby made from it with `pg_basebackup -R` (the embedded
PostgreSQL's own binaries), on two loopback ports. Pausing the standby's WAL replay makes it
lag by exactly what the primary writes meanwhile; stopping it makes it unreachable.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import httpx
import pytest

from contracts import CorpusCreated
from gateway.adapters.migrate import upgrade as upgrade_gateway
from gateway.adapters.projection import ReadModelProjection
from gateway.adapters.read_routing import ReplicaReads, StalenessBound, open_replica_pool
from infra.embedded import EmbeddedPostgres
from infra.eventstore import PostgresEventStore, asyncpg_dsn
from infra.eventstore.migrate import upgrade as upgrade_event_store
from infra.projections import ProjectionRunner
from infra.testing.pipeline import eventually

pytestmark = pytest.mark.integration
DEADLINE = 60.0  # generous: servers on a loaded machine
FAST_CHECKS = 0.05


@pytest.fixture
def primary(scratch: Path) -> Iterator[EmbeddedPostgres]:
    server = EmbeddedPostgres(scratch / "primary", durable=False).start()
    upgrade_event_store(server.url)
    upgrade_gateway(server.url)
    yield server
    server.stop()


@pytest.fixture
def standby(scratch: Path, primary: EmbeddedPostgres) -> Iterator[EmbeddedPostgres]:
    server = EmbeddedPostgres(scratch / "standby", durable=False).make_standby_of(primary)
    yield server.start()
    server.stop()


@pytest.fixture
async def replay(standby: EmbeddedPostgres) -> AsyncIterator[asyncpg.Connection]:
    """A connection to the standby that pauses and resumes its WAL replay."""
    connection = await asyncpg.connect(asyncpg_dsn(standby.url))
    yield connection
    await connection.close()


async def pause(replay: asyncpg.Connection) -> None:
    await replay.execute("SELECT pg_wal_replay_pause()")

    async def paused() -> bool:
        return await replay.fetchval("SELECT pg_get_wal_replay_pause_state()") == "paused"

    await eventually(paused, timeout=DEADLINE)


def metric(text: str, name: str) -> float:
    found = re.search(rf"^{re.escape(name)} (\S+)$", text, re.MULTILINE)
    assert found, f"{name} not in the metrics"
    return float(found.group(1))


class Gateway:
    """A served gateway, asked over HTTP."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def reads_from(self) -> str:
        ready = await self.client.get("/readyz")
        assert ready.status_code == 200, ready.text
        detail: str = ready.json()["checks"]["read_models"]
        return detail

    async def corpus_status(self, corpus_id: UUID) -> int:
        return (await self.client.get(f"/v1/corpora/{corpus_id}")).status_code

    async def metrics(self) -> str:
        return (await self.client.get("/metrics")).text


async def create_corpus(gateway: Gateway, slug: str) -> UUID:
    created = await gateway.client.post("/v1/corpora", json={"slug": slug, "title": slug})
    assert created.status_code == 202, created.text
    return UUID(created.json()["id"])


async def test_reads_go_to_a_fresh_replica_and_to_the_primary_when_it_lags_or_stops(
    primary: EmbeddedPostgres,
    standby: EmbeddedPostgres,
    replay: asyncpg.Connection,
    serve_on: Any,
) -> None:
    bound = {"read_replica_max_lag_seconds": 3600.0, "read_replica_check_seconds": FAST_CHECKS}
    # Two gateways on the same pair: one tolerates a lag of many events, one of none.
    served = [
        serve_on(
            primary.url,
            None,
            auth="off",
            read_replica_url=standby.url,
            read_replica_max_lag_events=events,
            **bound,
        )
        for events in (10_000, 0)
    ]
    async with (
        httpx.AsyncClient(base_url=served[0].url, timeout=30) as loose_client,
        httpx.AsyncClient(base_url=served[1].url, timeout=30) as strict_client,
    ):
        loose, strict = Gateway(loose_client), Gateway(strict_client)

        # A fresh replica serves both, and a command goes to the primary.
        first = await create_corpus(strict, "first")

        async def both_read_it_from_the_replica() -> bool:
            for gateway in (loose, strict):
                if await gateway.corpus_status(first) != 200:
                    return False
                if not (await gateway.reads_from()).startswith("replica:"):
                    return False
            return True

        await eventually(both_read_it_from_the_replica, timeout=DEADLINE)
        for gateway in (loose, strict):
            metrics = await gateway.metrics()
            assert metric(metrics, 'recto_gateway_read_model_queries_total{source="replica"}') > 0
            assert metric(metrics, "recto_gateway_read_replica_in_use") == 1

        # Replay paused: a corpus made now reaches the primary's read models only.
        await pause(replay)
        second = await create_corpus(strict, "second")

        async def strict_reads_it_from_the_primary() -> bool:
            return await strict.corpus_status(second) == 200

        await eventually(strict_reads_it_from_the_primary, timeout=DEADLINE)
        assert (await strict.reads_from()).startswith("primary: replica over 0 events")
        assert metric(await strict.metrics(), "recto_gateway_read_replica_in_use") == 0
        # Within its bound, the loose gateway still reads the replica, which lacks it.
        assert await loose.corpus_status(second) == 404
        assert (await loose.reads_from()).startswith("replica: replica ")
        assert metric(await loose.metrics(), "recto_gateway_read_replica_lag_events") >= 1

        # Replay resumed: the replica catches up and serves both again.
        await replay.execute("SELECT pg_wal_replay_resume()")

        async def caught_up() -> bool:
            return await loose.corpus_status(second) == 200 and (
                await strict.reads_from()
            ).startswith("replica:")

        await eventually(caught_up, timeout=DEADLINE)

        # The replica stops: every read is answered, from the primary, from the first one on.
        standby.stop()
        for gateway in (loose, strict):
            assert await gateway.corpus_status(first) == 200
            assert await gateway.corpus_status(second) == 200

        async def both_on_the_primary() -> bool:
            details = [await g.reads_from() for g in (loose, strict)]
            return all(d.startswith("primary: replica unreachable") for d in details)

        await eventually(both_on_the_primary, timeout=DEADLINE)
        served_by_primary = 'recto_gateway_read_model_queries_total{source="primary"}'
        before = metric(await loose.metrics(), served_by_primary)
        assert await loose.corpus_status(second) == 200
        assert metric(await loose.metrics(), served_by_primary) > before

        # Back, it serves again.
        standby.start()

        async def back_on_the_replica() -> bool:
            return (await loose.reads_from()).startswith("replica:")

        await eventually(back_on_the_replica, timeout=DEADLINE)


async def test_a_replica_behind_by_more_than_the_seconds_bound_is_not_read(
    primary: EmbeddedPostgres, standby: EmbeddedPostgres, replay: asyncpg.Connection
) -> None:
    store = await PostgresEventStore.connect(primary.url)
    replica = await open_replica_pool(standby.url, max_size=2, timeout_seconds=5.0)
    projection = ReadModelProjection()
    reads = ReplicaReads(
        store.pool,
        replica,
        projection.name,
        projection.event_types,
        StalenessBound(events=10_000, seconds=0.5),
        check_seconds=FAST_CHECKS,
        timeout_seconds=5.0,
    )
    runner = ProjectionRunner(store, projection)
    try:

        async def append_and_project() -> None:
            corpus_id = uuid4()
            corpus = CorpusCreated(
                corpus_id=corpus_id, slug=f"c{corpus_id.hex[:8]}", title="C", profile="default"
            )
            await store.append(f"corpus-{corpus.corpus_id}", [corpus])
            await runner.catch_up()

        await append_and_project()

        async def on(source: str) -> bool:
            return (await reads.routing()).source == source

        async def caught_up() -> bool:
            return (await reads.routing()).lag_events == 0

        await eventually(caught_up, timeout=DEADLINE)
        await pause(replay)
        await append_and_project()
        # Few events behind, but the oldest the replica lacks grows older than half a second.
        await eventually(lambda: on("primary"), timeout=DEADLINE)
        routing = await reads.routing()
        assert routing.lag_events == 1
        assert routing.lag_seconds is not None
        assert routing.lag_seconds > 0.5
        assert await reads.read(lambda c: c.fetchval("SELECT pg_is_in_recovery()")) is False

        await replay.execute("SELECT pg_wal_replay_resume()")
        await eventually(lambda: on("replica"), timeout=DEADLINE)
        assert await reads.read(lambda c: c.fetchval("SELECT pg_is_in_recovery()")) is True
    finally:
        await reads.close()
        await store.close()
