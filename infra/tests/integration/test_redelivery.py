"""A short `ack_wait` with in-progress acks: a crashed replica's message comes back within
seconds, while work still running is never handed to another replica."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from uuid import UUID, uuid4

import nats
import pytest
from nats.aio.client import Client
from nats.js import JetStreamContext

from contracts import JobCancelled, JobCreated, Metadata, Plan, RecordedEvent, job_stream
from contracts.subjects import event_subject, events_stream
from infra.eventstore import PostgresEventStore
from infra.messaging.consumer import Emitted, Subscription, current_delivery
from infra.messaging.provisioning import ensure_consumer, ensure_streams
from infra.testing.pipeline import eventually, running_consumers

pytestmark = pytest.mark.integration

ACK_WAIT = 1.0


@pytest.fixture
async def client(nats_url: str) -> AsyncIterator[Client]:
    connection = await nats.connect(nats_url)
    yield connection
    await connection.close()


def job_created() -> bytes:
    job = JobCreated(job_id=uuid4(), kind="analyze", plan=Plan())
    recorded = RecordedEvent(
        position=1,
        event_id=uuid4(),
        stream_id=job_stream(job.job_id),
        stream_version=1,
        type=job.type,
        schema_version=job.schema_version,
        occurred_at=datetime.now(UTC),
        metadata=Metadata(),
        data=job,
    )
    return json.dumps(recorded.to_wire()).encode()


class CancelJobs:
    """Counts each run and the delivery it ran on; the first run may take long."""

    def __init__(self, first_run_seconds: float = 0.0) -> None:
        self.first_run_seconds = first_run_seconds
        self.runs: Counter[UUID] = Counter()
        self.deliveries: list[int] = []
        self.finished_at: float | None = None

    async def __call__(self, event: RecordedEvent) -> Emitted:
        assert isinstance(event.data, JobCreated)
        self.runs[event.event_id] += 1
        self.deliveries.append(current_delivery.get())
        if self.runs[event.event_id] == 1:
            await asyncio.sleep(self.first_run_seconds)  # the work itself, e.g. a slow page
        self.finished_at = asyncio.get_running_loop().time()
        job_id = event.data.job_id
        return [(job_stream(job_id), JobCancelled(job_id=job_id, reason="done"))]


async def test_ensure_consumer_updates_an_existing_durable_consumer(
    client: Client, nats_prefix: str
) -> None:
    js = client.jetstream()
    await ensure_streams(js, nats_prefix)
    await ensure_consumer(js, nats_prefix, "worker", ["job.created"], max_deliver=5, ack_wait=60)
    await ensure_consumer(js, nats_prefix, "worker", ["job.created"], max_deliver=7, ack_wait=10)
    config = (await js.consumer_info(events_stream(nats_prefix), "worker")).config
    assert (config.ack_wait, config.max_deliver) == (10, 7)


async def test_a_message_its_replica_never_acked_goes_to_another_within_seconds(
    event_store: PostgresEventStore, client: Client, nats_url: str, nats_prefix: str
) -> None:
    js = client.jetstream()
    await ensure_streams(js, nats_prefix)
    await ensure_consumer(
        js, nats_prefix, "worker", ["job.created"], max_deliver=5, ack_wait=ACK_WAIT
    )
    await js.publish(event_subject(nats_prefix, "job.created"), job_created())

    # A replica takes the message and dies without acking it.
    crashed = await js.pull_subscribe_bind("worker", events_stream(nats_prefix))
    (taken,) = await crashed.fetch(1, timeout=10)
    loop = asyncio.get_running_loop()
    taken_at = loop.time()
    await crashed.unsubscribe()

    handler = CancelJobs()
    subscription = Subscription("worker", ["job.created"], handler, ack_wait=ACK_WAIT)
    async with running_consumers(event_store, nats_url, nats_prefix, [subscription]):
        await eventually(lambda: _settled(js, nats_prefix, handler))

    assert handler.finished_at is not None
    waited = handler.finished_at - taken_at
    assert handler.deliveries == [2], "the survivor should run the redelivery"
    assert waited < 5 * ACK_WAIT, f"redelivered only after {waited:.1f} s"
    assert taken.metadata.num_delivered == 1


async def test_long_work_with_in_progress_acks_is_not_redelivered(
    event_store: PostgresEventStore, client: Client, nats_url: str, nats_prefix: str
) -> None:
    js = client.jetstream()
    # Whichever replica takes the page works on it for four ack waits.
    first, second = CancelJobs(4 * ACK_WAIT), CancelJobs(4 * ACK_WAIT)
    replicas = [
        Subscription("worker", ["job.created"], handler, ack_wait=ACK_WAIT)
        for handler in (first, second)
    ]
    async with (
        running_consumers(event_store, nats_url, nats_prefix, [replicas[0]]),
        running_consumers(event_store, nats_url, nats_prefix, [replicas[1]]),
    ):
        await js.publish(event_subject(nats_prefix, "job.created"), job_created())
        await eventually(lambda: _settled(js, nats_prefix, first, second))
        consumer = await js.consumer_info(events_stream(nats_prefix), "worker")

    runs = first.runs + second.runs
    assert list(runs.values()) == [1], "the running work was handed to the other replica"
    assert first.deliveries + second.deliveries == [1]
    assert consumer.num_redelivered == 0
    assert consumer.num_ack_pending == 0


async def _settled(js: JetStreamContext, prefix: str, *handlers: CancelJobs) -> bool:
    """A handler finished and its message was acked."""
    if all(h.finished_at is None for h in handlers):
        return False
    consumer = await js.consumer_info(events_stream(prefix), "worker")
    return consumer.num_ack_pending == 0 and consumer.num_pending == 0
