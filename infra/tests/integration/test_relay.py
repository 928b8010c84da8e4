"""The relay publishes every committed event exactly once, in order, across crashes."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from uuid import uuid4

import nats
import pytest
from nats.aio.client import Client

from contracts import CorpusCreated
from infra.eventstore import PostgresEventStore
from infra.messaging.relay import Relay
from infra.testing.jetstream import stream_messages
from infra.testing.pipeline import eventually

pytestmark = pytest.mark.integration


@pytest.fixture
async def nats_client(nats_url: str) -> AsyncIterator[Client]:
    client = await nats.connect(nats_url)
    yield client
    await client.close()


async def append_events(store: PostgresEventStore, streams: int, per_stream: int) -> None:
    for s in range(streams):
        events = [
            CorpusCreated(corpus_id=uuid4(), slug=f"s{s}", title="T", profile="p")
            for _ in range(per_stream)
        ]
        await store.append(f"corpus-{s}", events)


def assert_exactly_once_in_order(messages: list[dict[str, object]], expected: int) -> None:
    ids = [m["event_id"] for m in messages]
    positions = [int(str(m["position"])) for m in messages]
    assert len(ids) == expected, f"{len(ids)} messages for {expected} events"
    assert len(set(ids)) == expected, "an event was published twice"
    assert positions == sorted(positions), "events were published out of order"
    by_stream: dict[object, list[int]] = {}
    for m in messages:
        by_stream.setdefault(m["stream_id"], []).append(int(str(m["stream_version"])))
    for versions in by_stream.values():
        assert versions == list(range(1, len(versions) + 1))


async def wait_for_count(client: Client, prefix: str, count: int, timeout: float = 30.0) -> None:
    from contracts.subjects import events_stream

    js = client.jetstream()
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        try:
            if (await js.stream_info(events_stream(prefix))).state.messages >= count:
                return
        except nats.js.errors.NotFoundError:
            pass
        await asyncio.sleep(0.05)
    raise TimeoutError(f"stream did not reach {count} messages")


async def test_relay_publishes_each_event_once_in_order(
    event_store: PostgresEventStore, nats_client: Client, nats_prefix: str
) -> None:
    await append_events(event_store, streams=10, per_stream=50)
    relay = Relay(event_store, nats_client.jetstream(), nats_prefix, batch_size=64)
    await relay.start()
    while await relay.relay_once():
        pass
    messages = await stream_messages(nats_client.jetstream(), nats_prefix)
    assert_exactly_once_in_order(messages, 500)
    assert messages[0]["type"] == "corpus.created"


async def test_relay_cancelled_mid_stream_resumes_without_loss_or_duplicate(
    event_store: PostgresEventStore, nats_client: Client, nats_prefix: str
) -> None:
    await append_events(event_store, streams=20, per_stream=100)
    js = nats_client.jetstream()
    for _ in range(3):  # cancel the relay three times at arbitrary points
        stop = asyncio.Event()
        relay = Relay(event_store, js, nats_prefix, batch_size=37)
        task = asyncio.create_task(relay.run(stop))
        await asyncio.sleep(0.15)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    stop = asyncio.Event()
    final = asyncio.create_task(Relay(event_store, js, nats_prefix, batch_size=37).run(stop))
    await wait_for_count(nats_client, nats_prefix, 2000)
    await asyncio.sleep(0.2)  # anything published twice would show up now
    stop.set()
    await final
    assert_exactly_once_in_order(await stream_messages(js, nats_prefix), 2000)


async def test_relay_process_killed_mid_stream_resumes_without_loss_or_duplicate(
    event_store: PostgresEventStore,
    nats_client: Client,
    nats_prefix: str,
    database_url: str,
    nats_url: str,
    tmp_path: Path,
) -> None:
    await append_events(event_store, streams=20, per_stream=150)
    env = {
        **os.environ,
        "RECTO_DATABASE_URL": database_url,
        "RECTO_NATS_URL": nats_url,
        "RECTO_NATS_PREFIX": nats_prefix,
        "RECTO_STATE_DIR": str(tmp_path),
        "RECTO_HEARTBEAT_SECONDS": "0.2",
    }
    command = [sys.executable, "-m", "infra.messaging.relay_process"]

    # Start the relay, let it publish part of the log, then SIGKILL it.
    first = subprocess.Popen(command, env=env)
    try:
        await wait_for_count(nats_client, nats_prefix, 300)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    published_before_restart = len(await stream_messages(nats_client.jetstream(), nats_prefix))
    assert published_before_restart < 3000, "the relay finished before it could be killed"

    # The killed relay's heartbeat stays behind; the health check looks past it.
    second = subprocess.Popen(command, env=env)
    try:
        await wait_for_count(nats_client, nats_prefix, 3000)
        await eventually(lambda: _healthy(env))
        await asyncio.sleep(0.3)
    finally:
        second.send_signal(signal.SIGTERM)
        assert second.wait(10) == 0
    assert not await _healthy(env)
    assert_exactly_once_in_order(await stream_messages(nats_client.jetstream(), nats_prefix), 3000)


async def test_relay_publishes_new_events_as_they_commit(
    event_store: PostgresEventStore, nats_client: Client, nats_prefix: str
) -> None:
    stop = asyncio.Event()
    running = asyncio.create_task(
        Relay(event_store, nats_client.jetstream(), nats_prefix).run(stop)
    )
    for round_ in range(5):
        await append_events(event_store, streams=1, per_stream=10)
        await wait_for_count(nats_client, nats_prefix, 10 * (round_ + 1))
    stop.set()
    await running
    assert_exactly_once_in_order(await stream_messages(nats_client.jetstream(), nats_prefix), 50)


async def _healthy(env: dict[str, str]) -> bool:
    """`recto healthcheck relay`, as a container runs it."""
    check = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "recto", "healthcheck", "relay", env=env
    )
    return await check.wait() == 0


async def test_a_bus_ahead_of_the_store_does_not_hide_the_stores_events(
    event_store: PostgresEventStore, nats_client: Client, nats_prefix: str
) -> None:
    # The bus outlived another history (a restored backup renumbers positions from low up).
    from contracts.subjects import event_subject
    from infra.messaging.provisioning import ensure_streams
    from infra.messaging.relay import POSITION_HEADER

    js = nats_client.jetstream()
    await ensure_streams(js, nats_prefix)
    ahead = {"Nats-Msg-Id": str(uuid4()), POSITION_HEADER: str(10**15)}
    await js.publish(event_subject(nats_prefix, "corpus.created"), b"{}", headers=ahead)
    await append_events(event_store, streams=2, per_stream=5)

    relay = Relay(event_store, js, nats_prefix, batch_size=64)
    await relay.start()
    while await relay.relay_once():
        pass

    assert relay.published == 10
    messages = await stream_messages(js, nats_prefix)
    assert_exactly_once_in_order(messages[1:], 10)
