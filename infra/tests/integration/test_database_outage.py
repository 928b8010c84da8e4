"""PostgreSQL stops and comes back on the same port and data: everything carries on.

These tests run a PostgreSQL of their own, since they stop it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from uuid import UUID, uuid4

import asyncpg
import nats
import pytest
from faststream.nats import NatsBroker
from nats.aio.client import Client

from contracts import CorpusCreated, JobCancelled, JobCreated, Plan, RecordedEvent, job_stream
from contracts.subjects import dead_letter_stream, events_stream
from infra.embedded import EmbeddedPostgres
from infra.eventstore import PostgresEventStore, asyncpg_dsn
from infra.eventstore.migrate import upgrade_async
from infra.eventstore.notifications import WakeupSettings
from infra.messaging.backoff import Backoff
from infra.messaging.consumer import ConsumerRuntime, Emitted, Subscription, current_delivery
from infra.messaging.outages import DatabaseOutages
from infra.messaging.relay import Relay
from infra.testing.databases import with_database
from infra.testing.jetstream import stream_messages
from infra.testing.pipeline import eventually

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def postgres() -> Iterator[EmbeddedPostgres]:
    # Under /tmp and world-traversable: the embedded PostgreSQL runs as `nobody` when root.
    folder = Path(tempfile.mkdtemp(prefix="recto-outage-", dir="/tmp"))
    folder.chmod(0o755)
    server = EmbeddedPostgres(folder, durable=False).start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
async def database(postgres: EmbeddedPostgres) -> str:
    name = f"outage_{uuid4().hex[:12]}"
    admin = await asyncpg.connect(asyncpg_dsn(postgres.url))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    url = with_database(postgres.url, name)
    await upgrade_async(url)
    return url


@pytest.fixture
async def store(database: str) -> AsyncIterator[PostgresEventStore]:
    connected = await PostgresEventStore.connect(database)
    yield connected
    await connected.close()


@pytest.fixture
async def client(nats_url: str) -> AsyncIterator[Client]:
    connection = await nats.connect(nats_url)
    yield connection
    await connection.close()


async def stop(postgres: EmbeddedPostgres) -> None:
    await asyncio.to_thread(postgres.stop)


async def start(postgres: EmbeddedPostgres) -> None:
    await asyncio.to_thread(postgres.start)


async def append_corpora(store: PostgresEventStore, count: int) -> None:
    for n in range(count):
        event = CorpusCreated(corpus_id=uuid4(), slug=f"c{n}", title="C", profile="default")
        await store.append(f"corpus-{event.corpus_id}", [event])


async def published(client: Client, prefix: str) -> int:
    try:
        return (await client.jetstream().stream_info(events_stream(prefix))).state.messages
    except nats.js.errors.NotFoundError:
        return 0


async def _true(value: bool) -> bool:
    return value


async def test_the_pool_answers_the_first_query_after_a_restart(
    postgres: EmbeddedPostgres, store: PostgresEventStore
) -> None:
    await append_corpora(store, 3)
    await stop(postgres)
    with pytest.raises(OSError, match="Connect call failed"):
        await store.read_all()
    await start(postgres)
    # No retry: asyncpg dropped the connections the server closed and opens new ones.
    assert len(await store.read_all()) == 3
    await store.ping()


async def test_relays_keep_publishing_across_a_database_restart(
    postgres: EmbeddedPostgres, store: PostgresEventStore, client: Client, nats_prefix: str
) -> None:
    js = client.jetstream()
    relays = [
        Relay(store, js, nats_prefix, recovery=Backoff(0.05, 0.5), lock_retry=0.1) for _ in range(2)
    ]
    halt = asyncio.Event()
    tasks = [asyncio.create_task(relay.run(halt)) for relay in relays]
    try:
        await append_corpora(store, 50)
        await eventually(lambda: _equals(published(client, nats_prefix), 50))
        assert sorted(r.role for r in relays) == ["active", "standby"]

        # The database goes away for a while: both relays lose their sessions and retry.
        await stop(postgres)
        await eventually(lambda: _true(all(r.recoveries >= 5 for r in relays)))
        assert not any(task.done() for task in tasks), "a relay gave up"
        await start(postgres)

        await append_corpora(store, 50)
        await eventually(lambda: _equals(published(client, nats_prefix), 100))
        await eventually(lambda: _true(sorted(r.role for r in relays) == ["active", "standby"]))
    finally:
        halt.set()
        await asyncio.gather(*tasks)

    messages = await stream_messages(js, nats_prefix)
    positions = [m["position"] for m in messages]
    assert positions == sorted(positions)
    assert len({m["event_id"] for m in messages}) == 100


class GatedCancel:
    """Cancels jobs; its first run waits at a gate so the test can stop the database there."""

    def __init__(self, store: PostgresEventStore) -> None:
        self.store = store
        self.reached, self.proceed = asyncio.Event(), asyncio.Event()
        self.runs: list[int] = []
        self.gave_up: list[BaseException] = []

    async def __call__(self, event: RecordedEvent) -> Emitted:
        assert isinstance(event.data, JobCreated)
        self.runs.append(current_delivery.get())
        self.reached.set()
        await self.proceed.wait()
        # Loading the aggregate hits the database, away or back.
        history = await self.store.read_stream(event.stream_id)
        job_id = event.data.job_id
        return [(job_stream(job_id), JobCancelled(job_id=job_id, reason=f"{len(history)} events"))]

    async def give_up(self, event: RecordedEvent, error: BaseException, delivered: int) -> Emitted:
        self.gave_up.append(error)
        return []


async def test_a_database_outage_spends_none_of_a_message_s_deliveries(
    postgres: EmbeddedPostgres,
    store: PostgresEventStore,
    client: Client,
    nats_url: str,
    nats_prefix: str,
) -> None:
    handler = GatedCancel(store)
    probes = 0

    async def counted_ping() -> None:
        nonlocal probes
        probes += 1
        await store.ping(timeout=1.0)

    # Two deliveries 50 ms apart: counted as failures, the outage would exhaust them at once.
    subscription = Subscription(
        "canceller",
        ["job.created"],
        handler,
        handler.give_up,
        max_deliver=2,
        ack_wait=1.0,
        retry_delays=(0.05,),
    )
    job = JobCreated(job_id=uuid4(), kind="analyze", plan=Plan())
    await store.append(job_stream(job.job_id), [job])
    halt = asyncio.Event()
    relay = Relay(store, client.jetstream(), nats_prefix, recovery=Backoff(0.05, 0.5))
    relaying = asyncio.create_task(relay.run(halt))
    broker = NatsBroker(nats_url, log_level=logging.DEBUG)
    outages = DatabaseOutages(counted_ping, shortest=0.05, longest=0.2)
    runtime = ConsumerRuntime(broker, store, nats_prefix, outages=outages)
    runtime.subscribe(subscription)
    try:
        await broker.connect()
        await runtime.provision()
        await broker.start()
        await asyncio.wait_for(handler.reached.wait(), timeout=30)

        # The database goes away while the handler works; it comes back after several
        # ack waits and many probes.
        await stop(postgres)
        handler.proceed.set()
        await eventually(lambda: _true(probes >= 20))
        await start(postgres)
        await eventually(lambda: _cancelled(store, job.job_id))
    finally:
        await broker.stop()
        halt.set()
        await relaying

    assert handler.runs == [1, 1], "the handler ran again on the same delivery"
    assert handler.gave_up == []
    stream = await store.read_stream(job_stream(job.job_id))
    assert [e.type for e in stream] == ["job.created", "job.cancelled"]
    with contextlib.suppress(nats.js.errors.NotFoundError):
        dead = await client.jetstream().stream_info(dead_letter_stream(nats_prefix))
        assert dead.state.messages == 0


async def _cancelled(store: PostgresEventStore, job_id: UUID) -> bool:
    with contextlib.suppress(OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
        return len(await store.read_stream(job_stream(job_id))) == 2
    return False


async def _equals(value: object, expected: int) -> bool:
    return (await value if asyncio.iscoroutine(value) else value) == expected


async def test_notifications_come_back_after_a_restart(
    postgres: EmbeddedPostgres, database: str, store: PostgresEventStore
) -> None:
    # A tailer's process: it looks only when woken (an hour otherwise).
    hourly = WakeupSettings(quiet_seconds=3600.0, reconnect_shortest=0.05, reconnect_longest=0.5)
    tailer = await PostgresEventStore.connect(database, wakeups=hourly)
    notifications = tailer.notifications
    assert notifications is not None
    wakeup = tailer.wakeup()
    halt = asyncio.Event()
    try:
        await eventually(lambda: _true(notifications.connections == 1))
        await stop(postgres)
        await eventually(lambda: _true(not wakeup.listening))
        await start(postgres)
        await eventually(lambda: _true(notifications.connections == 2 and wakeup.listening))
        while await wakeup.wait(halt, 0):  # the wake-ups of losing and regaining the listener
            pass
        await append_corpora(store, 1)
        assert await wakeup.wait(halt, 30.0), "no wake-up after the restart"
    finally:
        wakeup.close()
        await tailer.close()
