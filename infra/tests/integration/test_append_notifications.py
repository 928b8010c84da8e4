"""Append notifications: an append in one process wakes the tailers of another at once.

Each tailer here waits an hour whenever it finds nothing, so an event it applies within the
test's deadline can only have come through a notification.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from uuid import uuid4

import nats
import pytest

from contracts import CorpusCreated
from contracts.subjects import events_stream
from infra.eventstore import PostgresEventStore
from infra.eventstore.notifications import AppendNotifications, WakeupSettings
from infra.messaging.relay import Relay
from infra.projections import ProjectionRunner
from infra.testing.pipeline import eventually

pytestmark = pytest.mark.integration

HOURLY = WakeupSettings(quiet_seconds=3600.0, reconnect_shortest=0.05, reconnect_longest=0.5)


def corpus_created() -> CorpusCreated:
    return CorpusCreated(corpus_id=uuid4(), slug="c", title="C", profile="default")


@pytest.fixture
async def listening_store(database_url: str) -> AsyncIterator[PostgresEventStore]:
    """The tailers' process: a store whose idle tailers look only when woken."""
    store = await PostgresEventStore.connect(database_url, wakeups=HOURLY)
    yield store
    await store.close()


def notifications(store: PostgresEventStore) -> AppendNotifications:
    assert store.notifications is not None
    return store.notifications


async def listening(store: PostgresEventStore, connections: int = 1) -> None:
    async def connected() -> bool:
        listener = notifications(store)
        return listener.signal.connected and listener.connections >= connections

    await eventually(connected)


class Counted:
    """A projection that only counts what it is given."""

    name = "counted"
    event_types = ("corpus.created",)

    def __init__(self) -> None:
        self.applied = 0

    async def apply(self, connection: object, events: list[object]) -> None:
        self.applied += len(events)

    async def reset(self, connection: object) -> None:
        self.applied = 0


async def test_an_append_elsewhere_wakes_an_idle_projection(
    listening_store: PostgresEventStore, event_store: PostgresEventStore
) -> None:
    projection = Counted()
    runner = ProjectionRunner(listening_store, projection, idle_sleep=3600.0)
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop))
    await listening(listening_store)
    for n in range(1, 4):
        await event_store.append(f"corpus-{n}", [corpus_created()])

        async def applied(n: int = n) -> bool:
            return projection.applied == n

        await eventually(applied, timeout=20)
    stop.set()
    await task


async def test_an_append_in_a_callers_transaction_wakes_at_its_commit(
    listening_store: PostgresEventStore, event_store: PostgresEventStore
) -> None:
    wakeup = listening_store.wakeup()
    await listening(listening_store)
    stop = asyncio.Event()
    while await wakeup.wait(stop, 0):  # forget the wake-up of the first connection
        pass
    async with event_store.pool.acquire() as connection, connection.transaction():
        await event_store.append("corpus-x", [corpus_created()], connection=connection)
    assert await wakeup.wait(stop, 20.0), "no wake-up after the commit"
    wakeup.close()


async def test_the_listener_reconnects_and_wakes_the_relay_again(
    listening_store: PostgresEventStore,
    event_store: PostgresEventStore,
    nats_url: str,
    nats_prefix: str,
) -> None:
    client = await nats.connect(nats_url)
    relay = Relay(listening_store, client.jetstream(), nats_prefix, idle_sleep=3600.0)
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop))
    await listening(listening_store)

    async def published(count: int) -> bool:
        info = await client.jetstream().stream_info(events_stream(nats_prefix))
        return info.state.messages == count

    await event_store.append("corpus-a", [corpus_created()])
    await eventually(lambda: published(1), timeout=20)
    # The listener's backend is killed: it reconnects and the relay is woken again.
    killed = await event_store.pool.fetchval(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
        " WHERE query LIKE 'LISTEN%' AND datname = current_database()"
    )
    assert killed == 1
    await listening(listening_store, connections=2)
    await event_store.append("corpus-b", [corpus_created()])
    await eventually(lambda: published(2), timeout=20)
    stop.set()
    await task
    await client.close()
