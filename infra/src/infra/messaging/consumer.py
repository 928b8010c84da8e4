"""The consumer runtime: runs a service's handlers on JetStream messages, effectively once.

For each message: decode the envelope (anything undecodable goes to the dead-letter subject
with its reason and is never redelivered), skip it if this consumer already recorded it, run
the handler while telling JetStream the work is in progress, then append the handler's events
together with the `processed(consumer, event_id)` record in one transaction, and only then
ack. A redelivered message therefore has no second effect. When the last allowed delivery
fails, the subscription's final-failure hook appends a terminal failure event instead, or,
without a hook, the message is dead-lettered with its reason.

While the database is unreachable the message is held, with in-progress acks, and its work
retried once the database answers: an outage spends none of the message's deliveries.

Every settled message is counted by its outcome, and its handling timed (`infra.metrics`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from faststream.message import StreamMessage
from faststream.middlewares import AckPolicy
from faststream.nats import JStream, NatsBroker, NatsMessage, PullSub
from nats.js.api import ConsumerConfig

from contracts import Event, Metadata, RecordedEvent
from contracts.subjects import dead_letter_stream, dead_letter_subject, events_stream
from infra.eventstore import EventStore, Idempotency, PostgresEventStore, StreamAppend
from infra.logs import log_context
from infra.messaging.dead_letters import Rejection, dead_letter
from infra.messaging.decoding import decode_message
from infra.messaging.outages import DatabaseOutages
from infra.messaging.provisioning import ensure_consumer, ensure_streams
from infra.metrics import ConsumerMetrics, Outcome, event_type_label, sample_consumer_lag

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
    ack_wait: float = 10.0
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
    def __init__(
        self,
        broker: NatsBroker,
        store: EventStore,
        prefix: str,
        *,
        outages: DatabaseOutages | None = None,
        pull_wait: float = 5.0,
        metrics: ConsumerMetrics | None = None,
    ) -> None:
        """`pull_wait`: how long a pull request waits for a message before the next is sent;
        longer costs less while idle, but a request lost with a NATS connection is only
        replaced after it."""
        self.broker, self.store, self.prefix = broker, store, prefix
        self.pull_wait = pull_wait
        self.metrics = metrics or ConsumerMetrics()
        self.subscriptions: list[Subscription] = []
        if outages is None:
            probe = store.ping if isinstance(store, PostgresEventStore) else None
            outages = DatabaseOutages(probe)
        self.outages = outages

    def subscribe(self, subscription: Subscription) -> None:
        self.subscriptions.append(subscription)
        self.metrics.declare(subscription.consumer, subscription.event_types)

        async def on_message(message: NatsMessage) -> None:
            await self.handle(subscription, message)

        on_message.__name__ = f"{subscription.consumer}_on_message"
        self.broker.subscriber(
            "",
            stream=JStream(events_stream(self.prefix), declare=False),
            durable=subscription.consumer,
            config=ConsumerConfig(durable_name=subscription.consumer),
            pull_sub=PullSub(batch_size=subscription.batch_size, timeout=self.pull_wait),
            ack_policy=AckPolicy.MANUAL,
            decoder=_undecoded,
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

    async def sample_lag(self) -> None:
        """Read each subscription's consumer lag into the metrics (every few seconds)."""
        js = self.broker.config.connection_state.stream
        consumers = dict.fromkeys(s.consumer for s in self.subscriptions)
        await sample_consumer_lag(js, events_stream(self.prefix), consumers, self.metrics)

    async def handle(self, subscription: Subscription, message: NatsMessage) -> None:
        raw = message.raw_message
        delivered = raw.metadata.num_delivered or 1
        consumer = subscription.consumer
        event_type = event_type_label(self.prefix, subscription.event_types, raw.subject)
        try:
            event = decode_message(raw.data)
        except Exception as error:  # whatever it is, it will fail the same way next time
            await self.dead_letter(subscription, message, Rejection.of(error, "decode", delivered))
            self.metrics.settled(consumer, event_type, Outcome.DEAD_LETTERED)
            return
        if event.type not in subscription.event_types:
            await message.ack()
            self.metrics.settled(consumer, event_type, Outcome.IGNORED)
            return
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
            with self.metrics.timed(consumer):
                outcome = await self._settle(subscription, message, event, delivered)
        finally:
            heartbeat.cancel()
        self.metrics.settled(consumer, event_type, outcome)

    async def _settle(
        self, s: Subscription, message: NatsMessage, event: RecordedEvent, delivered: int
    ) -> Outcome:
        """Handle the event and ack, nack (retry later) or give up on it."""
        outlast = self.outages.outlast
        if await outlast(lambda: self.store.is_processed(s.consumer, event.event_id), s.consumer):
            await message.ack()
            return Outcome.DUPLICATE
        try:
            emitted = await outlast(lambda: s.handler(event), s.consumer)
            await outlast(lambda: self._commit(s, event, emitted), s.consumer)
        except RetryLater as retry:
            self.metrics.failed(s.consumer, retry)
            if delivered < s.max_deliver:
                attempt = retry.emitted
                await outlast(lambda: self._record_attempt(s, event, attempt), s.consumer)
                await message.nack(delay=_retry_delay(s, delivered))
                return Outcome.RETRIED
            return await self._give_up(s, message, event, retry, delivered)
        except Exception as error:
            self.metrics.failed(s.consumer, error)
            if delivered < s.max_deliver:
                log.warning(
                    "handler failed, will retry",
                    exc_info=error,
                    extra={"consumer": s.consumer, "delivered": delivered},
                )
                await message.nack(delay=_retry_delay(s, delivered))
                return Outcome.RETRIED
            return await self._give_up(s, message, event, error, delivered)
        await message.ack()
        return Outcome.ACKED

    async def _give_up(
        self,
        s: Subscription,
        message: NatsMessage,
        event: RecordedEvent,
        error: Exception,
        delivered: int,
    ) -> Outcome:
        """The last allowed delivery failed: a terminal failure event, or a dead letter."""
        log.error(
            "handler failed for the last time",
            exc_info=error,
            extra={"consumer": s.consumer, "event_id": str(event.event_id)},
        )
        hook = s.on_final_failure
        if hook is None:
            await self.dead_letter(s, message, Rejection.of(error, "handle", delivered))
            return Outcome.DEAD_LETTERED
        try:
            emitted = await self.outages.outlast(lambda: hook(event, error, delivered), s.consumer)
            await self.outages.outlast(lambda: self._commit(s, event, emitted), s.consumer)
        except Exception as hook_error:
            self.metrics.failed(s.consumer, hook_error)
            log.error("final-failure hook failed", exc_info=hook_error)
            first = Rejection.of(error, "handle", delivered)
            reason = f"{first.reason}; the final-failure hook failed too: {hook_error!r}"
            await self.dead_letter(s, message, Rejection(first.code, reason, "handle", delivered))
            return Outcome.DEAD_LETTERED
        await message.ack()
        return Outcome.FAILED

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
        """Tell JetStream the work goes on, so it is not redelivered while it runs.

        A failed in-progress ack (NATS away for a moment) is no reason to stop trying: the
        next one may get through before `ack_wait` runs out.
        """
        while subscription.heartbeat:
            await asyncio.sleep(subscription.heartbeat_every)
            try:
                await message.in_progress()
            except Exception as error:
                log.warning("in-progress ack failed", extra={"error": repr(error)})

    async def dead_letter(
        self, subscription: Subscription, message: NatsMessage, rejection: Rejection
    ) -> None:
        raw = message.raw_message
        await self.broker.publish(
            dead_letter(subscription.consumer, raw.subject, raw.data, rejection),
            dead_letter_subject(self.prefix, subscription.consumer),
            stream=dead_letter_stream(self.prefix),
        )
        log.error(
            "message dead-lettered",
            extra={
                "consumer": subscription.consumer,
                "code": rejection.code,
                "reason": rejection.reason,
                "stage": rejection.stage,
            },
        )
        # Never redelivered: it would fail the same way and hold up nothing but itself.
        await message.reject()


async def _undecoded(message: StreamMessage[Any]) -> bytes:
    """Leave the body as bytes. faststream would parse it as JSON itself, and a poison message
    (nested 200,000 deep) would fail there, redelivered until JetStream drops it, before the
    runtime could dead-letter it."""
    return message.body


def _retry_delay(subscription: Subscription, delivered: int) -> float:
    delays = subscription.retry_delays
    return delays[min(delivered - 1, len(delays) - 1)] if delays else 0.0
