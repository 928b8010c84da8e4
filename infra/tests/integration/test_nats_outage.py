"""NATS stops for longer than nats-py's default reconnect budget and comes back: the service
and the relay reconnect, report not ready meanwhile, and carry on.

The test runs a NATS server of its own, since it stops it.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from uuid import uuid4

import nats
import pytest

from contracts import JobCancelled, JobCreated, Plan, RecordedEvent, job_stream
from infra.embedded import EmbeddedNats
from infra.eventstore import PostgresEventStore
from infra.health import STALE_AFTER_BEATS, heartbeat_path, judge
from infra.messaging.connection import close_connection, nats_options, until_stopped_or_closed
from infra.messaging.consumer import Emitted, Subscription
from infra.messaging.relay_process import run_relay
from infra.service import ServiceParts, run_service
from infra.settings import Settings
from infra.testing.pipeline import eventually

pytestmark = [pytest.mark.integration, pytest.mark.slow]

OLD_RECONNECT_BUDGET = 60  # nats-py's default max_reconnect_attempts
OUTAGE_SECONDS = 10.0


@pytest.fixture
def own_nats() -> Iterator[EmbeddedNats]:
    folder = Path(tempfile.mkdtemp(prefix="recto-nats-outage-", dir="/tmp"))
    server = EmbeddedNats(folder).start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


async def cancel_job(event: RecordedEvent) -> Emitted:
    assert isinstance(event.data, JobCreated)
    job_id = event.data.job_id
    return [(job_stream(job_id), JobCancelled(job_id=job_id, reason="handled"))]


async def build(settings: Settings, store: PostgresEventStore) -> ServiceParts:
    return ServiceParts(subscriptions=[Subscription("canceller", ["job.created"], cancel_job)])


def health(settings: Settings, service: str, replica: str) -> dict[str, object]:
    path = heartbeat_path(settings.state_dir, service, replica)
    verdict = judge(path, max_age=STALE_AFTER_BEATS * settings.heartbeat_seconds)
    record = json.loads(path.read_text()) if path.exists() else {}
    return {"ok": verdict.ok, "reason": verdict.reason, **record}


def reconnect_attempts(settings: Settings) -> int:
    nats_state = str(health(settings, "canceller", "canceller-1").get("checks", {}))
    found = re.search(r"reconnecting \((\d+) attempts\)", nats_state)
    return int(found.group(1)) if found else 0


async def submit_job(store: PostgresEventStore) -> JobCreated:
    job = JobCreated(job_id=uuid4(), kind="analyze", plan=Plan())
    await store.append(job_stream(job.job_id), [job])
    return job


async def handled(store: PostgresEventStore, job: JobCreated) -> bool:
    return len(await store.read_stream(job_stream(job.job_id))) == 2


async def _true(value: bool) -> bool:
    return value


async def test_service_and_relay_reconnect_after_an_outage_beyond_the_old_budget(
    settings: Settings, own_nats: EmbeddedNats, event_store: PostgresEventStore
) -> None:
    settings = settings.model_copy(
        update={
            "nats_url": own_nats.url,
            "heartbeat_seconds": 0.2,
            "nats_reconnect_wait_seconds": 0.05,
            "nats_reconnect_wait_max_seconds": 0.1,
        }
    )
    service_settings = settings.model_copy(update={"replica": "canceller-1"})
    relay_settings = settings.model_copy(update={"replica": "relay-1"})
    stop = asyncio.Event()
    service = asyncio.create_task(run_service("canceller", service_settings, build, stop))
    relay = asyncio.create_task(run_relay(relay_settings, stop))

    def ready(s: Settings, name: str, replica: str) -> bool:
        return bool(health(s, name, replica)["ok"])

    try:
        await eventually(lambda: _true(ready(service_settings, "canceller", "canceller-1")))
        await eventually(lambda: _true(ready(relay_settings, "relay", "relay-1")))
        first = await submit_job(event_store)
        await eventually(lambda: handled(event_store, first))

        # NATS goes away: both processes stay up, not ready, trying again and again.
        own_nats.stop()
        loop = asyncio.get_running_loop()
        down_at = loop.time()
        await eventually(lambda: _true(not ready(service_settings, "canceller", "canceller-1")))
        await eventually(lambda: _true(not ready(relay_settings, "relay", "relay-1")))
        assert "nats: reconnecting" in str(health(service_settings, "canceller", "canceller-1"))
        second = await submit_job(event_store)  # committed now, published once NATS is back
        await eventually(
            lambda: _true(
                reconnect_attempts(service_settings) > OLD_RECONNECT_BUDGET
                and loop.time() - down_at > OUTAGE_SECONDS
            ),
            timeout=120,
        )
        assert not service.done()
        assert not relay.done()
        own_nats.start()

        await eventually(lambda: _true(ready(service_settings, "canceller", "canceller-1")))
        await eventually(lambda: _true(ready(relay_settings, "relay", "relay-1")))
        await eventually(lambda: handled(event_store, second))
    finally:
        stop.set()
        await asyncio.gather(service, relay)

    assert not heartbeat_path(settings.state_dir, "canceller", "canceller-1").exists()
    assert not heartbeat_path(settings.state_dir, "relay", "relay-1").exists()


async def test_a_connection_closed_for_good_is_noticed(settings: Settings, nats_url: str) -> None:
    closed = asyncio.Event()

    async def on_closed() -> None:
        closed.set()

    client = await nats.connect(nats_url, **nats_options(settings, on_closed))
    stop = asyncio.Event()
    waiting = asyncio.create_task(until_stopped_or_closed(stop, closed, client, every=0.05))
    await client.close()
    assert await asyncio.wait_for(waiting, timeout=30) is True
    assert closed.is_set()

    # Told to stop, on the other hand, a process ends normally.
    other = await nats.connect(nats_url, **nats_options(settings))
    try:
        stop.set()
        assert await until_stopped_or_closed(stop, asyncio.Event(), other) is False
    finally:
        await close_connection(other)
    assert other.is_closed
