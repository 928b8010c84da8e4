"""Every message a consumer cannot use ends on its dead-letter subject, with the reason, once."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import nats
import pytest
from nats.js import JetStreamContext

from contracts import JobCancelled, JobCreated, Metadata, Plan, RecordedEvent, job_stream
from contracts.errors import EngineFailed
from contracts.subjects import dead_letter_stream, event_subject, events_stream
from infra.eventstore import PostgresEventStore
from infra.messaging.consumer import Emitted, Subscription
from infra.testing.pipeline import eventually, running_consumers

pytestmark = pytest.mark.integration


def job_created_wire() -> dict[str, Any]:
    job = JobCreated(job_id=uuid4(), kind="analyze", plan=Plan())
    return RecordedEvent(
        position=1,
        event_id=uuid4(),
        stream_id=job_stream(job.job_id),
        stream_version=1,
        type=job.type,
        schema_version=job.schema_version,
        occurred_at=datetime.now(UTC),
        metadata=Metadata(),
        data=job,
    ).to_wire()


def with_version(version: bytes) -> bytes:
    """A well-formed envelope whose `schema_version` is the given raw JSON."""
    current = f'"schema_version": {JobCreated.schema_version}'.encode()
    envelope = json.dumps(job_created_wire()).encode()
    assert current in envelope, "the envelope's schema version is where this test expects it"
    return envelope.replace(current, version, 1)


POISON: dict[str, tuple[bytes, str, str]] = {
    # name: (payload, expected code, expected words in the reason)
    "schema version 1e400": (
        with_version(b'"schema_version": 1e400'),
        "invalid-event-data",
        "schema version is not an integer",
    ),
    "200,000-deep JSON": (b"[" * 200_000 + b"]" * 200_000, "invalid-event-data", "too deeply"),
    "invalid UTF-8": (b'{"type": "\xff\xfe"}', "invalid-event-data", "not JSON"),
    "not JSON": (b"<html>502 Bad Gateway</html>", "invalid-event-data", "not JSON"),
    "wrong shape": (
        json.dumps({**job_created_wire(), "data": {"job_id": "not-a-uuid"}}).encode(),
        "invalid-event-data",
        "job.created",
    ),
}


class CancelJobs:
    def __init__(self) -> None:
        self.handled: list[str] = []

    async def __call__(self, event: RecordedEvent) -> Emitted:
        assert isinstance(event.data, JobCreated)
        self.handled.append(str(event.event_id))
        job_id = event.data.job_id
        return [(job_stream(job_id), JobCancelled(job_id=job_id, reason="handled"))]


@pytest.fixture
async def js(nats_url: str) -> AsyncIterator[JetStreamContext]:
    client = await nats.connect(nats_url)
    yield client.jetstream()
    await client.close()


async def letters(js: JetStreamContext, prefix: str) -> list[dict[str, Any]]:
    stream = dead_letter_stream(prefix)
    last = (await js.stream_info(stream)).state.last_seq
    return [json.loads((await js.get_msg(stream, seq=n)).data or b"") for n in range(1, last + 1)]


async def test_each_poison_message_is_dead_lettered_once_and_the_next_is_handled(
    event_store: PostgresEventStore, nats_url: str, nats_prefix: str, js: JetStreamContext
) -> None:
    handler = CancelJobs()
    subscription = Subscription("canceller", ["job.created"], handler, max_deliver=5)
    subject = event_subject(nats_prefix, "job.created")
    good = job_created_wire()
    async with running_consumers(event_store, nats_url, nats_prefix, [subscription]):
        for payload, _, _ in POISON.values():
            await js.publish(subject, payload)
        await js.publish(subject, json.dumps(good).encode())
        await eventually(lambda: _is(handler.handled == [good["event_id"]]))
        await eventually(lambda: _counted(js, dead_letter_stream(nats_prefix), len(POISON)))
        consumer = await js.consumer_info(events_stream(nats_prefix), "canceller")

    parked = await letters(js, nats_prefix)
    assert len(parked) == len(POISON)
    for letter, (name, (payload, code, words)) in zip(parked, POISON.items(), strict=True):
        assert letter["code"] == code, name
        assert words in letter["reason"], (name, letter["reason"])
        assert letter["stage"] == "decode"
        assert letter["deliveries"] == 1, f"{name} was redelivered before it was parked"
        assert letter["payload_bytes"] == len(payload)
    assert consumer.num_redelivered == 0
    assert consumer.num_ack_pending == 0


async def test_a_handler_failing_to_the_last_delivery_without_a_hook_is_dead_lettered(
    event_store: PostgresEventStore, nats_url: str, nats_prefix: str, js: JetStreamContext
) -> None:
    attempts: list[str] = []

    async def always_fails(event: RecordedEvent) -> Emitted:
        attempts.append(str(event.event_id))
        raise EngineFailed("the engine crashed")

    subscription = Subscription(
        "fragile", ["job.created"], always_fails, max_deliver=3, retry_delays=(0.05,)
    )
    wire = job_created_wire()
    async with running_consumers(event_store, nats_url, nats_prefix, [subscription]):
        await js.publish(event_subject(nats_prefix, "job.created"), json.dumps(wire).encode())
        await eventually(lambda: _counted(js, dead_letter_stream(nats_prefix), 1))
        consumer = await js.consumer_info(events_stream(nats_prefix), "fragile")

    (letter,) = await letters(js, nats_prefix)
    assert letter["code"] == "engine-failed"
    assert letter["reason"] == "the engine crashed"
    assert letter["stage"] == "handle"
    assert letter["deliveries"] == 3
    assert json.loads(letter["payload"])["event_id"] == wire["event_id"]
    assert attempts == [wire["event_id"]] * 3
    assert consumer.num_ack_pending == 0, "the message was left for JetStream to drop"


async def _is(value: bool) -> bool:
    return value


async def _counted(js: JetStreamContext, stream: str, count: int) -> bool:
    try:
        return (await js.stream_info(stream)).state.messages >= count
    except nats.js.errors.NotFoundError:
        return False
