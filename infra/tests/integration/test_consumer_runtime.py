"""The consumer runtime on real NATS JetStream and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from uuid import UUID, uuid4

import nats
import pytest

from contracts import JobCancelled, JobCreated, Plan, RecordedEvent, job_stream
from contracts.errors import EngineFailed
from contracts.subjects import dead_letter_stream, event_subject
from infra.eventstore import PostgresEventStore
from infra.messaging.consumer import Emitted, RetryLater, Subscription, current_delivery
from infra.testing.pipeline import eventually, running_consumers, running_relay

pytestmark = pytest.mark.integration


def job_created() -> JobCreated:
    return JobCreated(job_id=uuid4(), kind="analyze", plan=Plan())


async def submit_jobs(store: PostgresEventStore, count: int) -> list[UUID]:
    jobs = [job_created() for _ in range(count)]
    for job in jobs:
        await store.append(job_stream(job.job_id), [job])
    return [job.job_id for job in jobs]


async def cancelled_count(store: PostgresEventStore) -> int:
    return len(await store.read_all(types=["job.cancelled"], limit=10_000))


class CancelEveryJob:
    """A handler with a side-effect counter, so tests see how often it really ran."""

    def __init__(self, delay: float = 0.0, first_delay: float | None = None) -> None:
        self.calls: Counter[UUID] = Counter()
        self.delay, self.first_delay = delay, first_delay

    async def __call__(self, event: RecordedEvent) -> Emitted:
        assert isinstance(event.data, JobCreated)
        self.calls[event.event_id] += 1
        first = self.calls[event.event_id] == 1
        await asyncio.sleep(self.first_delay if first and self.first_delay else self.delay)
        return [(job_stream(event.data.job_id), JobCancelled(job_id=event.data.job_id, reason="t"))]


async def test_handler_events_carry_causation_and_are_appended_once(
    event_store: PostgresEventStore, nats_url: str, nats_prefix: str
) -> None:
    handler = CancelEveryJob()
    subscription = Subscription("canceller", ["job.created"], handler)
    async with (
        running_relay(event_store, nats_url, nats_prefix),
        running_consumers(event_store, nats_url, nats_prefix, [subscription]),
    ):
        jobs = await submit_jobs(event_store, 20)
        await eventually(lambda: _equals(cancelled_count(event_store), 20))

    for job_id in jobs:
        created, cancelled = await event_store.read_stream(job_stream(job_id))
        assert isinstance(cancelled.data, JobCancelled)
        assert cancelled.causation_id == created.event_id
        assert cancelled.actor == "canceller"
        assert await event_store.is_processed("canceller", created.event_id)


async def test_redelivered_message_has_no_second_effect(
    event_store: PostgresEventStore, nats_url: str, nats_prefix: str
) -> None:
    # No heartbeat and a 1 s ack wait: the slow first attempt is redelivered to the other
    # replica while it still works, so the handler really runs twice.
    handler = CancelEveryJob(first_delay=2.5)
    subscription = Subscription("slow", ["job.created"], handler, ack_wait=1.0, heartbeat=False)
    async with (
        running_relay(event_store, nats_url, nats_prefix),
        running_consumers(event_store, nats_url, nats_prefix, [subscription]),
        running_consumers(event_store, nats_url, nats_prefix, [subscription]),
    ):
        (job_id,) = await submit_jobs(event_store, 1)
        await eventually(lambda: _at_least(sum(handler.calls.values()), 2))
        await eventually(lambda: _equals(cancelled_count(event_store), 1))
        await asyncio.sleep(2.0)  # the first attempt finishes and commits — or tries to

    assert sum(handler.calls.values()) >= 2, "the message was never redelivered"
    events = await event_store.read_stream(job_stream(job_id))
    assert [e.type for e in events] == ["job.created", "job.cancelled"]


async def test_last_delivery_failure_appends_a_terminal_failure_event(
    event_store: PostgresEventStore, nats_url: str, nats_prefix: str
) -> None:
    attempts: Counter[UUID] = Counter()

    async def always_fails(event: RecordedEvent) -> Emitted:
        attempts[event.event_id] += 1
        raise EngineFailed("the engine crashed")

    async def give_up(event: RecordedEvent, error: BaseException, delivered: int) -> Emitted:
        assert isinstance(event.data, JobCreated)
        reason = f"gave up after {delivered} attempts: {error}"
        return [
            (job_stream(event.data.job_id), JobCancelled(job_id=event.data.job_id, reason=reason))
        ]

    subscription = Subscription(
        "fragile", ["job.created"], always_fails, give_up, max_deliver=3, retry_delays=(0.05,)
    )
    async with (
        running_relay(event_store, nats_url, nats_prefix),
        running_consumers(event_store, nats_url, nats_prefix, [subscription]),
    ):
        (job_id,) = await submit_jobs(event_store, 1)
        await eventually(lambda: _equals(cancelled_count(event_store), 1))
        await asyncio.sleep(0.5)  # no fourth delivery may follow

    assert list(attempts.values()) == [3]
    _, failure = await event_store.read_stream(job_stream(job_id))
    assert isinstance(failure.data, JobCancelled)
    assert failure.data.reason == "gave up after 3 attempts: the engine crashed"


async def test_malformed_messages_are_dead_lettered_and_never_block(
    event_store: PostgresEventStore, nats_url: str, nats_prefix: str
) -> None:
    handler = CancelEveryJob()
    subscription = Subscription("canceller", ["job.created"], handler)
    client = await nats.connect(nats_url)
    js = client.jetstream()
    subject = event_subject(nats_prefix, "job.created")
    newer = {
        "position": 1,
        "event_id": str(uuid4()),
        "stream_id": "job-x",
        "stream_version": 1,
        "type": "job.created",
        "schema_version": 99,
        "occurred_at": "2026-01-01T00:00:00Z",
        "metadata": {},
        "data": {},
    }
    try:
        async with (
            running_relay(event_store, nats_url, nats_prefix),
            running_consumers(event_store, nats_url, nats_prefix, [subscription]),
        ):
            await js.publish(subject, b"\xff not json")
            await js.publish(subject, json.dumps(newer).encode())
            await submit_jobs(event_store, 3)
            await eventually(lambda: _equals(cancelled_count(event_store), 3))
            dead = dead_letter_stream(nats_prefix)
            await eventually(lambda: _stream_has(js, dead, 2))
            letters = [json.loads((await js.get_msg(dead, seq=n)).data or b"") for n in (1, 2)]
    finally:
        await client.close()

    assert letters[0]["code"] == "invalid-event-data"
    assert letters[0]["consumer"] == "canceller"
    assert "payload_base64" in letters[0]
    assert letters[1]["code"] == "unsupported-schema-version"
    assert "99" in letters[1]["reason"]
    assert sum(handler.calls.values()) == 3


async def test_replicas_share_the_work_and_handle_each_event_once(
    event_store: PostgresEventStore, nats_url: str, nats_prefix: str
) -> None:
    first, second = CancelEveryJob(delay=0.01), CancelEveryJob(delay=0.01)
    async with (
        running_relay(event_store, nats_url, nats_prefix),
        running_consumers(
            event_store, nats_url, nats_prefix, [Subscription("workers", ["job.created"], first)]
        ),
        running_consumers(
            event_store, nats_url, nats_prefix, [Subscription("workers", ["job.created"], second)]
        ),
    ):
        await submit_jobs(event_store, 60)
        await eventually(lambda: _equals(cancelled_count(event_store), 60))

    assert sum(first.calls.values()) + sum(second.calls.values()) == 60
    assert first.calls, "the second replica did all the work"
    assert second.calls, "the first replica did all the work"
    assert not set(first.calls) & set(second.calls)


async def _equals(value: object, expected: int) -> bool:
    return (await value if asyncio.iscoroutine(value) else value) == expected


async def _at_least(value: int, minimum: int) -> bool:
    return value >= minimum


async def _stream_has(js: nats.js.JetStreamContext, stream: str, count: int) -> bool:
    return (await js.stream_info(stream)).state.messages >= count


async def test_retry_later_records_each_attempt_then_gives_up(
    event_store: PostgresEventStore, nats_url: str, nats_prefix: str
) -> None:
    deliveries: list[int] = []

    async def flaky(event: RecordedEvent) -> Emitted:
        assert isinstance(event.data, JobCreated)
        deliveries.append(current_delivery.get())
        attempt = JobCancelled(job_id=event.data.job_id, reason=f"attempt {deliveries[-1]}")
        raise RetryLater("the engine timed out", [(job_stream(event.data.job_id), attempt)])

    async def give_up(event: RecordedEvent, error: BaseException, delivered: int) -> Emitted:
        assert isinstance(event.data, JobCreated)
        final = JobCancelled(job_id=event.data.job_id, reason=f"final after {delivered}: {error}")
        return [(job_stream(event.data.job_id), final)]

    subscription = Subscription(
        "flaky", ["job.created"], flaky, give_up, max_deliver=3, retry_delays=(0.05,)
    )
    async with (
        running_relay(event_store, nats_url, nats_prefix),
        running_consumers(event_store, nats_url, nats_prefix, [subscription]),
    ):
        (job_id,) = await submit_jobs(event_store, 1)
        await eventually(lambda: _equals(cancelled_count(event_store), 3))
        await asyncio.sleep(0.5)

    assert deliveries == [1, 2, 3]
    reasons = [e.data.reason for e in (await event_store.read_stream(job_stream(job_id)))[1:]]
    assert reasons == ["attempt 1", "attempt 2", "final after 3: the engine timed out"]
