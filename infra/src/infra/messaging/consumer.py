"""The consumer runtime: runs a service's handlers on JetStream messages, effectively once.

For each message: parse the envelope (a malformed one goes to the dead-letter subject with its
reason and is never redelivered), skip it if this consumer already recorded it, run the
handler while telling JetStream the work is in progress, then append the handler's events
together with the `processed(consumer, event_id)` record in one transaction, and only then
ack. A redelivered message therefore has no second effect. When the last allowed delivery
fails, the subscription's final-failure hook appends a terminal failure event instead.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime

from faststream.middlewares import AckPolicy
from faststream.nats import JStream, NatsBroker, NatsMessage, PullSub
from nats.js.api import ConsumerConfig

from contracts import Event, Metadata, RecordedEvent, recorded_from_wire
from contracts.errors import ContractError, InvalidEventData
from contracts.subjects import dead_letter_stream, dead_letter_subject, events_stream
from infra.eventstore import EventStore, Idempotency, StreamAppend
from infra.logs import log_context
from infra.messaging.provisioning import ensure_consumer, ensure_streams

log = logging.getLogger(__name__)

Emitted = Sequence[tuple[str, Event]]
Handler = Callable[[RecordedEvent], Awaitable[Emitted]]
FinalFailureHook = Callable[[RecordedEvent, BaseException, int], Awaitable[Emitted]]


current_delivery: ContextVar[int] = ContextVar("current_delivery", default=1)
"""Which delivery of the message a handler is running (1 for the first)."""


class RetryLater(Exception):
    """Raised by a handler: record `emitted` now (an attempt's events), redeliver the message.

    On the last allowed delivery it counts as a failure: the final-failure hook runs instead.
    """

    def __init__(self, reason: str, emitted: Emitted = ()) -> None:
        super().__init__(reason)
        self.emitted = emitted


@dataclass(frozen=True)
class Subscription:
    consumer: str
    event_types: Sequence[str]
    handler: Handler
    on_final_failure: FinalFailureHook | None = None
    max_deliver: int = 5
    ack_wait: float = 30.0
    batch_size: int = 1
    retry_delays: Sequence[float] = field(default=(0.5, 2.0, 5.0, 15.0))
    heartbeat: bool = True

    @property
    def heartbeat_every(self) -> float:
        return self.ack_wait / 3


def group_by_stream(emitted: Emitted) -> list[StreamAppend]:
    """Consecutive events of one stream become one append, keeping their order."""
    appends: list[StreamAppend] = []
    for stream_id, event in emitted:
        if appends and appends[-1].stream_id == stream_id:
            appends[-1] = StreamAppend(stream_id, [*appends[-1].events, event])
        else:
            appends.append(StreamAppend(stream_id, [event]))
    return appends


class ConsumerRuntime:
    def __init__(self, broker: NatsBroker, store: EventStore, prefix: str) -> None:
        self.broker, self.store, self.prefix = broker, store, prefix
        self.subscriptions: list[Subscription] = []

    def subscribe(self, subscription: Subscription) -> None:
        self.subscriptions.append(subscription)

        async def on_message(message: NatsMessage) -> None:
            await self.handle(subscription, message)

        on_message.__name__ = f"{subscription.consumer}_on_message"
        self.broker.subscriber(
            "",
            stream=JStream(events_stream(self.prefix), declare=False),
            durable=subscription.consumer,
            config=ConsumerConfig(durable_name=subscription.consumer),
            pull_sub=PullSub(batch_size=subscription.batch_size, timeout=1.0),
            ack_policy=AckPolicy.MANUAL,
            title=f"{subscription.consumer}: {', '.join(subscription.event_types)}",
        )(on_message)

    async def provision(self) -> None:
        """Create the streams and every subscription's durable consumer; run before start."""
        js = self.broker.config.connection_state.stream
        await ensure_streams(js, self.prefix)
        for s in self.subscriptions:
            await ensure_consumer(
                js,
                self.prefix,
                s.consumer,
                s.event_types,
                max_deliver=s.max_deliver,
                ack_wait=s.ack_wait,
            )

    async def handle(self, subscription: Subscription, message: NatsMessage) -> None:
        raw = message.raw_message
        try:
            event = _parse(raw.data)
        except ContractError as error:
            await self.dead_letter(subscription, message, error)
            return
        if event.type not in subscription.event_types or await self.store.is_processed(
            subscription.consumer, event.event_id
        ):
            await message.ack()
            return
        delivered = raw.metadata.num_delivered or 1
        log_context.set(
            {
                "consumer": subscription.consumer,
                "event_id": str(event.event_id),
                "event_type": event.type,
                "correlation_id": str(event.correlation_id or ""),
            }
        )
        current_delivery.set(delivered)
        heartbeat = asyncio.create_task(self._heartbeat(message, subscription))
        try:
            emitted = await subscription.handler(event)
            await self._commit(subscription, event, emitted)
        except RetryLater as retry:
            if delivered < subscription.max_deliver:
                await self._record_attempt(subscription, event, retry.emitted)
                await message.nack(delay=_retry_delay(subscription, delivered))
                return
            await self._give_up(subscription, event, retry, delivered)
        except Exception as error:
            if delivered < subscription.max_deliver or subscription.on_final_failure is None:
                log.warning(
                    "handler failed, will retry",
                    exc_info=error,
                    extra={
                        "consumer": subscription.consumer,
                        "event_id": str(event.event_id),
                        "delivered": delivered,
                    },
                )
                await message.nack(delay=_retry_delay(subscription, delivered))
                return
            await self._give_up(subscription, event, error, delivered)
        finally:
            heartbeat.cancel()
        await message.ack()

    async def _give_up(
        self, subscription: Subscription, event: RecordedEvent, error: Exception, delivered: int
    ) -> None:
        log.error(
            "handler failed for the last time",
            exc_info=error,
            extra={"consumer": subscription.consumer, "event_id": str(event.event_id)},
        )
        hook = subscription.on_final_failure
        await self._commit(subscription, event, await hook(event, error, delivered) if hook else ())

    async def _record_attempt(
        self, subscription: Subscription, cause: RecordedEvent, emitted: Emitted
    ) -> None:
        """An attempt's events, appended without the idempotency record: more attempts follow."""
        await self.store.append_streams(
            group_by_stream(emitted), metadata=self._metadata(subscription, cause)
        )

    async def _commit(
        self, subscription: Subscription, cause: RecordedEvent, emitted: Emitted
    ) -> None:
        await self.store.append_streams(
            group_by_stream(emitted),
            metadata=self._metadata(subscription, cause),
            idempotency=Idempotency(subscription.consumer, cause.event_id),
        )

    @staticmethod
    def _metadata(subscription: Subscription, cause: RecordedEvent) -> Metadata:
        return Metadata(
            correlation_id=cause.correlation_id,
            causation_id=cause.event_id,
            actor=subscription.consumer,
            trace=cause.metadata.trace,
        )

    @staticmethod
    async def _heartbeat(message: NatsMessage, subscription: Subscription) -> None:
        """Tell JetStream the work goes on, so a long page is not redelivered meanwhile."""
        while subscription.heartbeat:
            await asyncio.sleep(subscription.heartbeat_every)
            await message.in_progress()

    async def dead_letter(
        self, subscription: Subscription, message: NatsMessage, error: ContractError
    ) -> None:
        raw = message.raw_message
        try:
            payload: dict[str, str] = {"payload": raw.data.decode()}
        except UnicodeDecodeError:
            payload = {"payload_base64": base64.b64encode(raw.data).decode()}
        letter = {
            "consumer": subscription.consumer,
            "subject": raw.subject,
            "code": error.code,
            "reason": str(error),
            "received_at": datetime.now(UTC).isoformat(),
            **payload,
        }
        await self.broker.publish(
            json.dumps(letter).encode(),
            dead_letter_subject(self.prefix, subscription.consumer),
            stream=dead_letter_stream(self.prefix),
        )
        log.error(
            "malformed message dead-lettered",
            extra={"consumer": subscription.consumer, "reason": str(error)},
        )
        # Never redelivered: it would fail the same way and hold up nothing but itself.
        await message.reject()


def _parse(data: bytes) -> RecordedEvent:
    try:
        wire = json.loads(data)
    except ValueError as error:
        raise InvalidEventData(f"not JSON: {error}") from error
    return recorded_from_wire(wire)


def _retry_delay(subscription: Subscription, delivered: int) -> float:
    delays = subscription.retry_delays
    return delays[min(delivered - 1, len(delays) - 1)] if delays else 0.0
