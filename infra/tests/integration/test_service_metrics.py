"""Per-process Prometheus metrics, scraped over HTTP from a service and a relay that run as they
do in production (`run_service`, `run_relay`) on real NATS JetStream and PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import AsyncIterator, Awaitable, Callable
from uuid import UUID, uuid4

import asyncpg
import nats
import pytest
from prometheus_client import CollectorRegistry

from contracts import JobCancelled, JobCreated, Plan, RecordedEvent, job_stream
from contracts.errors import EngineFailed
from contracts.subjects import events_stream
from infra.embedded.process import free_port
from infra.eventstore import PostgresEventStore, asyncpg_dsn
from infra.eventstore.checkpoints import load_checkpoint
from infra.health import heartbeat_path
from infra.messaging.consumer import Emitted, Subscription
from infra.messaging.relay import RELAY_LOCK
from infra.messaging.relay_process import run_relay
from infra.metrics import RelayMetrics, sample_relay_lag
from infra.service import ServiceParts, run_service
from infra.settings import Settings
from infra.testing.metrics import Scrape, metrics_url, scrape
from infra.testing.pipeline import eventually

pytestmark = pytest.mark.integration

CONSUMER = "metered"
HOOKED = "metered-hooked"


@pytest.fixture
def metered(settings: Settings) -> Settings:
    """Metrics on a free port, lag read often, heartbeats quick."""
    return settings.model_copy(
        update={
            "metrics_port": 0,
            "metrics_sample_seconds": 0.1,
            "heartbeat_seconds": 0.2,
            "outage_backoff_seconds": 0.05,
            "outage_backoff_max_seconds": 0.2,
        }
    )


@contextlib.asynccontextmanager
async def running(
    settings: Settings, service: str, run: Callable[[asyncio.Event], Awaitable[None]]
) -> AsyncIterator[str]:
    """Run a process's main coroutine; yields its metrics URL, read from its heartbeat file."""
    stop = asyncio.Event()
    task = asyncio.create_task(run(stop))
    heartbeat = heartbeat_path(settings.state_dir, service, settings.replica or "")
    try:
        await eventually(lambda: _true(task.done() or metrics_url(heartbeat) is not None))
        assert not task.done(), task.exception()
        url = metrics_url(heartbeat)
        assert url is not None
        yield url
    finally:
        stop.set()
        await task


async def submit_job(store: PostgresEventStore) -> UUID:
    job = JobCreated(job_id=uuid4(), kind="analyze", plan=Plan())
    await store.append(job_stream(job.job_id), [job])
    return job.job_id


async def settled(url: str, outcome: str, consumer: str = CONSUMER) -> float:
    found = await scrape(url)
    return found.total("recto_consumer_messages_total", consumer=consumer, outcome=outcome)


def outcomes(found: Scrape, consumer: str) -> dict[str, float]:
    """The consumer's non-zero outcome counts for job.created."""
    counts = {
        sample.labels["outcome"]: sample.value
        for sample in found.samples
        if sample.name == "recto_consumer_messages_total"
        and sample.labels["consumer"] == consumer
        and sample.labels["event_type"] == "job.created"
    }
    return {outcome: count for outcome, count in counts.items() if count}


async def test_a_service_counts_outcomes_failures_and_time_and_reports_its_lag(
    metered: Settings, event_store: PostgresEventStore
) -> None:
    gate = asyncio.Event()
    blocked: set[UUID] = set()
    failing: set[UUID] = set()

    async def cancel_unless_told_otherwise(event: RecordedEvent) -> Emitted:
        assert isinstance(event.data, JobCreated)
        job_id = event.data.job_id
        if job_id in blocked:
            await gate.wait()
        if job_id in failing:
            raise EngineFailed("the engine crashed")
        return [(job_stream(job_id), JobCancelled(job_id=job_id, reason="handled"))]

    async def fail_when_told(event: RecordedEvent) -> Emitted:
        assert isinstance(event.data, JobCreated)
        if event.data.job_id in failing:
            raise EngineFailed("the engine crashed")
        return []

    async def give_up(event: RecordedEvent, error: BaseException, delivered: int) -> Emitted:
        assert isinstance(event.data, JobCreated)
        job_id = event.data.job_id
        return [(job_stream(job_id), JobCancelled(job_id=job_id, reason=str(error)))]

    async def build(settings: Settings, store: PostgresEventStore) -> ServiceParts:
        subscriptions = [
            # No final-failure hook: the last failure is a dead letter.
            Subscription(
                CONSUMER,
                ["job.created"],
                cancel_unless_told_otherwise,
                max_deliver=2,
                retry_delays=(0.05,),
            ),
            # With one: the first failure is the last, and a failure event.
            Subscription(HOOKED, ["job.created"], fail_when_told, give_up, max_deliver=1),
        ]
        return ServiceParts(subscriptions=subscriptions)

    service = metered.model_copy(update={"replica": "metered-1"})
    relay = metered.model_copy(update={"replica": "relay-1"})
    async with (
        running(relay, "relay", lambda stop: run_relay(relay, stop)),
        running(service, CONSUMER, lambda stop: run_service(CONSUMER, service, build, stop)) as url,
    ):
        first = await scrape(url)
        assert first.value("recto_service_info", service=CONSUMER, replica="metered-1") == 1
        assert (first.value("process_resident_memory_bytes") or 0) > 0
        # Every series a subscription can produce is there from the start, at zero.
        assert first.total("recto_consumer_messages_total", consumer=CONSUMER) == 0
        assert first.value("recto_consumer_handler_seconds_count", consumer=HOOKED) == 0

        # One job holds the only replica's handler: the next four wait in the stream.
        blocked.add(await submit_job(event_store))
        await eventually(lambda: _lag_is(url, pending=0, ack_pending=1))
        shut_at = asyncio.get_running_loop().time()
        for _ in range(3):
            await submit_job(event_store)
        failing.add(await submit_job(event_store))
        await eventually(lambda: _lag_is(url, pending=4, ack_pending=1))
        assert await settled(url, "acked") == 0

        # Released, the four good jobs are acked; the failing one is retried once, then
        # dead-lettered (this subscription has no final-failure hook).
        gate.set()
        shut_for = asyncio.get_running_loop().time() - shut_at
        await eventually(lambda: _at_least(settled(url, "dead_lettered"), 1))
        await eventually(lambda: _at_least(settled(url, "failed", HOOKED), 1))
        await eventually(lambda: _lag_is(url, pending=0, ack_pending=0))
        final = await scrape(url)

    assert outcomes(final, CONSUMER) == {"acked": 4, "retried": 1, "dead_lettered": 1}
    assert outcomes(final, HOOKED) == {"acked": 4, "failed": 1}
    failures = "recto_consumer_handler_failures_total"
    assert final.value(failures, consumer=CONSUMER, error="EngineFailed") == 2
    assert final.value(failures, consumer=HOOKED, error="EngineFailed") == 1
    # Every settled message was timed, the blocked one for at least as long as the gate was shut.
    assert final.value("recto_consumer_handler_seconds_count", consumer=CONSUMER) == 6
    assert (final.value("recto_consumer_handler_seconds_sum", consumer=CONSUMER) or 0) >= shut_for


async def test_the_relay_counts_what_it_publishes_and_reports_how_far_it_trails(
    metered: Settings, event_store: PostgresEventStore, database_url: str
) -> None:
    relay = metered.model_copy(update={"replica": "relay-1"})
    holder = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        # Another relay holds the lock: this one stands by, and still reports the log's lag.
        assert await holder.fetchval("SELECT pg_try_advisory_lock($1)", RELAY_LOCK)
        async with running(relay, "relay", lambda stop: run_relay(relay, stop)) as url:
            for _ in range(5):
                await submit_job(event_store)
            head = await event_store.head_position()
            await eventually(lambda: _relay_is(url, lag=5, head=head, checkpoint=0))
            assert (await scrape(url)).value("recto_relay_events_total") == 0

            # The lock is free: this relay takes over and publishes the five events.
            await holder.execute("SELECT pg_advisory_unlock($1)", RELAY_LOCK)
            await eventually(lambda: _relay_is(url, lag=0, head=head, checkpoint=head))
            assert (await scrape(url)).value("recto_relay_events_total") == 5

            # The event stream is gone: publishing fails until the relay, recovering,
            # declares the stream again; then the event goes out.
            await _delete_stream(metered)
            await submit_job(event_store)
            head = await event_store.head_position()
            await eventually(lambda: _relay_is(url, lag=0, head=head, checkpoint=head))
            final = await scrape(url)
    finally:
        await holder.close()

    assert final.value("recto_relay_events_total") == 6
    failures = final.value("recto_relay_publish_failures_total")
    assert failures is not None
    assert failures >= 1
    assert await load_checkpoint(event_store.pool, "relay") == head


async def test_relay_lag_reads_nan_while_the_database_is_away(
    event_store: PostgresEventStore,
) -> None:
    registry = CollectorRegistry()
    metrics = RelayMetrics(registry)
    await submit_job(event_store)
    await sample_relay_lag(event_store, "relay", metrics)
    assert registry.get_sample_value("recto_relay_lag_events") == 1

    # Nothing listens on this port: every query is refused.
    pool = await asyncpg.create_pool(f"postgresql://recto@127.0.0.1:{free_port()}/x", min_size=0)
    try:
        await sample_relay_lag(PostgresEventStore(pool), "relay", metrics)
    finally:
        await pool.close()
    names = ("lag_events", "head_position", "checkpoint_position")
    figures = [registry.get_sample_value(f"recto_relay_{name}") for name in names]
    assert all(figure is not None and math.isnan(figure) for figure in figures), figures


async def test_metrics_are_off_unless_a_port_is_set(
    settings: Settings, event_store: PostgresEventStore
) -> None:
    relay = settings.model_copy(update={"replica": "relay-1", "heartbeat_seconds": 0.2})
    heartbeat = heartbeat_path(relay.state_dir, "relay", "relay-1")
    stop = asyncio.Event()
    task = asyncio.create_task(run_relay(relay, stop))
    try:
        await eventually(lambda: _true(heartbeat.exists()))
        assert metrics_url(heartbeat) is None
    finally:
        stop.set()
        await task


async def _lag_is(url: str, *, pending: int, ack_pending: int) -> bool:
    found = await scrape(url)
    return (
        found.value("recto_consumer_pending_messages", consumer=CONSUMER),
        found.value("recto_consumer_ack_pending_messages", consumer=CONSUMER),
    ) == (pending, ack_pending)


async def _relay_is(url: str, *, lag: int, head: int, checkpoint: int) -> bool:
    found: Scrape = await scrape(url)
    figures = (
        found.value("recto_relay_lag_events"),
        found.value("recto_relay_head_position"),
        found.value("recto_relay_checkpoint_position"),
    )
    assert not any(f is not None and math.isnan(f) for f in figures), figures
    return figures == (lag, head, checkpoint)


async def _delete_stream(settings: Settings) -> None:
    assert settings.nats_url is not None
    client = await nats.connect(settings.nats_url)
    try:
        await client.jetstream().delete_stream(events_stream(settings.nats_prefix))
    finally:
        await client.close()


async def _at_least(value: Awaitable[float], minimum: float) -> bool:
    return await value >= minimum


async def _true(value: bool) -> bool:
    return value
