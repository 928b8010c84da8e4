"""The event store behind PgBouncer in transaction mode (Debian's `pgbouncer`, on loopback).

PgBouncer keeps SERVER_CONNECTIONS server connections here, for clients that open many more:
each transaction of a client runs on whichever server connection is free, which is what breaks
anything that relies on session state. Queries go through it; `LISTEN` and the session locks
take the direct URL (`infra.database`). Every idle tailer here waits an hour unless woken, so
one that finishes in time was woken by a notification sent through the pooler.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator, Sequence
from urllib.parse import urlsplit
from uuid import UUID, uuid4

import asyncpg
import nats
import pytest

from contracts import CorpusCreated, RecordedEvent
from contracts.errors import WrongExpectedVersion
from infra.database import DatabaseAccess
from infra.databaseurls import asyncpg_dsn
from infra.eventstore import PostgresEventStore
from infra.eventstore.checkpoints import load_checkpoint, save_checkpoint
from infra.eventstore.notifications import WakeupSettings
from infra.messaging.relay import Relay
from infra.projections import ProjectionRunner
from infra.testing.jetstream import stream_messages
from infra.testing.pgbouncer import PgBouncer, pgbouncer_binary
from infra.testing.pipeline import eventually

pytestmark = pytest.mark.integration

SERVER_CONNECTIONS = 4
CLIENT_CONNECTIONS = 16
HELD_BACK_LOOK_SECONDS = 0.02
HOURLY = WakeupSettings(quiet_seconds=3600.0, reconnect_shortest=0.05, reconnect_longest=0.5)
WRITERS, BATCHES = 8, 25
DEADLINE = 180.0  # generous: two cores shared with other test runs
_BACKEND = "SELECT pg_backend_pid() + 0 * $1::int"


@pytest.fixture(scope="module")
def bouncer(postgres_admin_url: str) -> Iterator[PgBouncer]:
    if pgbouncer_binary() is None:
        pytest.skip("pgbouncer is not installed: `apt-get install pgbouncer` (`make system`)")
    with PgBouncer(postgres_admin_url, pool_size=SERVER_CONNECTIONS) as started:
        yield started


def pooled(bouncer: PgBouncer, database_url: str) -> str:
    return bouncer.url(urlsplit(database_url).path.lstrip("/"))


@contextlib.asynccontextmanager
async def store_behind(bouncer: PgBouncer, database_url: str) -> AsyncIterator[PostgresEventStore]:
    access = DatabaseAccess(
        url=pooled(bouncer, database_url),
        direct_url=database_url,
        max_size=CLIENT_CONNECTIONS,
        statement_cache_size=0,
    )
    store = await PostgresEventStore.open(access, HOURLY)
    try:
        yield store
    finally:
        await store.close()


def corpus_created() -> CorpusCreated:
    return CorpusCreated(corpus_id=uuid4(), slug="c", title="C", profile="default")


async def test_a_client_moves_between_server_connections_so_named_statements_fail(
    bouncer: PgBouncer, database_url: str
) -> None:
    """Why the statement cache is a setting: under PgBouncer 1.18 a statement asyncpg
    prepared by name on one server connection is missing from the next one."""
    url = asyncpg_dsn(pooled(bouncer, database_url))
    for cache_size in (100, 0):
        moving = await asyncpg.connect(url, statement_cache_size=cache_size)
        pinning = await asyncpg.connect(url, statement_cache_size=cache_size)
        try:
            first = await moving.fetchval(_BACKEND, 1)
            async with pinning.transaction():
                # PgBouncer hands out the server connection released last: the one `moving`
                # used, which this open transaction now keeps.
                assert await pinning.fetchval("SELECT pg_backend_pid()") == first
                if cache_size:
                    with pytest.raises(asyncpg.InvalidSQLStatementNameError):
                        await moving.fetchval(_BACKEND, 2)
                else:
                    assert await moving.fetchval(_BACKEND, 2) != first
        finally:
            await moving.close()
            await pinning.close()


class SeenOnce:
    """Records each event it applies under a primary key: a second apply fails the batch."""

    name = "pgbouncer-seen"
    event_types: Sequence[str] = ()

    async def apply(self, connection: asyncpg.Connection, events: Sequence[RecordedEvent]) -> None:
        await connection.executemany(
            "INSERT INTO pgbouncer_seen (event_id) VALUES ($1)",
            [(event.event_id,) for event in events],
        )

    async def reset(self, connection: asyncpg.Connection) -> None:
        await connection.execute("TRUNCATE pgbouncer_seen")


async def tail(store: PostgresEventStore, expected: int, seen: list[UUID]) -> None:
    """Read the log from the start until `expected` events, waiting on wake-ups for new ones.

    An event recorded but not yet readable (above the horizon: an older transaction, such as
    a projection's, is still open) was announced already; it is looked for again shortly,
    as the service's tailers do after a wake-up, until that transaction ends."""
    wakeup, stop, position = store.wakeup(), asyncio.Event(), 0
    try:
        while len(seen) < expected:
            batch = await store.read_all_raw(after=position, limit=100)
            if batch:
                seen.extend(event.event_id for event in batch)
                position = batch[-1].position
            elif await store.head_position() > position:
                await wakeup.wait(stop, HELD_BACK_LOOK_SECONDS)
            else:
                await wakeup.wait(stop, HOURLY.quiet_seconds)
    finally:
        wakeup.close()


async def write(store: PostgresEventStore, writer: int) -> None:
    """Batches on a stream of its own at the expected version, each followed by an event on
    a stream every writer shares (any version: conflicts are retried)."""
    stream = f"corpus-w{writer}"
    for batch in range(BATCHES):
        await store.append(stream, [corpus_created(), corpus_created()], expected_version=2 * batch)
        await store.append("corpus-shared", [corpus_created()])


async def test_appends_reads_checkpoints_and_projections_run_concurrently_through_the_pooler(
    bouncer: PgBouncer, database_url: str
) -> None:
    expected = WRITERS * BATCHES * 3
    direct = await asyncpg.connect(asyncpg_dsn(database_url))
    await direct.execute("CREATE TABLE pgbouncer_seen (event_id uuid PRIMARY KEY)")
    async with store_behind(bouncer, database_url) as store:
        await eventually(lambda: _listening(store))
        stop = asyncio.Event()
        seen: list[UUID] = []
        # Two runners of one projection, as two gateway replicas would run it.
        runners = [ProjectionRunner(store, SeenOnce(), idle_sleep=3600.0) for _ in range(2)]
        running = [asyncio.create_task(runner.run(stop)) for runner in runners]
        async with asyncio.timeout(DEADLINE):
            await asyncio.gather(
                tail(store, expected, seen), *(write(store, w) for w in range(WRITERS))
            )

            async def projected() -> bool:
                return await direct.fetchval("SELECT count(*) FROM pgbouncer_seen") == expected

            await eventually(projected, timeout=DEADLINE)
        stop.set()
        await asyncio.gather(*running)

        # The tailer read every event once, in position order, with nothing skipped.
        assert len(seen) == len(set(seen)) == expected
        head = await store.head_position()
        assert await load_checkpoint(store.pool, SeenOnce.name) == head
        for w in range(WRITERS):
            assert await store.stream_version(f"corpus-w{w}") == 2 * BATCHES
        assert await store.stream_version("corpus-shared") == WRITERS * BATCHES
        # Optimistic concurrency still answers through the pooler.
        with pytest.raises(WrongExpectedVersion):
            await store.append("corpus-w0", [corpus_created()], expected_version=1)
        await save_checkpoint(store.pool, "pgbouncer-reader", head)
        assert await load_checkpoint(store.pool, "pgbouncer-reader") == head
        # The clients outnumbered PgBouncer's server connections: transactions shared them.
        assert store.pool.get_size() > SERVER_CONNECTIONS
        assert store.notifications is not None
        assert store.notifications.signal.fired > 1
    await direct.close()


async def _listening(store: PostgresEventStore) -> bool:
    store.wakeup().close()  # the first subscriber starts the listener
    return store.notifications is not None and store.notifications.signal.connected


async def test_the_relay_elected_on_the_direct_url_publishes_each_event_once(
    bouncer: PgBouncer, database_url: str, nats_url: str, nats_prefix: str
) -> None:
    client = await nats.connect(nats_url)
    js = client.jetstream()
    async with (
        store_behind(bouncer, database_url) as first,
        store_behind(bouncer, database_url) as second,
    ):
        relays = [Relay(store, js, nats_prefix, lock_retry=0.05) for store in (first, second)]
        stops = [asyncio.Event(), asyncio.Event()]
        tasks = [asyncio.create_task(r.run(s)) for r, s in zip(relays, stops, strict=True)]

        async def one_active() -> bool:
            return sorted(r.role for r in relays) == ["active", "standby"]

        await eventually(one_active, timeout=DEADLINE)
        for n in range(50):
            await first.append(f"corpus-{n % 5}", [corpus_created()])

        async def published(count: int) -> bool:
            return len(await stream_messages(js, nats_prefix)) >= count

        await eventually(lambda: published(50), timeout=DEADLINE)
        # The active relay stops: its session ends, the standby takes the lock and goes on.
        active = next(i for i, r in enumerate(relays) if r.role == "active")
        stops[active].set()
        await tasks[active]
        standby = relays[1 - active]

        async def took_over() -> bool:
            return standby.role == "active"

        await eventually(took_over, timeout=DEADLINE)
        for n in range(50):
            await second.append(f"corpus-{n % 5}", [corpus_created()])
        await eventually(lambda: published(100), timeout=DEADLINE)
        stops[1 - active].set()
        await tasks[1 - active]
        messages = await stream_messages(js, nats_prefix)
    await client.close()
    ids = [m["event_id"] for m in messages]
    assert len(ids) == len(set(ids)) == 100
    positions = [int(m["position"]) for m in messages]
    assert positions == sorted(positions)
