"""What the consumer runtime counts: each message's outcome, handler failures and time, and
each durable consumer's lag as JetStream reports it."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterable, Iterator, Sequence
from enum import StrEnum

import nats.errors
from nats.js import JetStreamContext
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from contracts.subjects import event_subject

# From a cached decision (milliseconds) to a slow OCR page (minutes).
HANDLER_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)


class Outcome(StrEnum):
    """How a message was settled."""

    ACKED = "acked"
    """Handled: its events committed, then acked."""
    DUPLICATE = "duplicate"
    """Handled before (a redelivery): acked without running the handler."""
    IGNORED = "ignored"
    """An event type the subscription does not handle: acked."""
    RETRIED = "retried"
    """The handler failed or asked to retry: nak'ed, to be delivered again."""
    FAILED = "failed"
    """The last allowed delivery failed: a terminal failure event was recorded, then acked."""
    DEAD_LETTERED = "dead_lettered"
    """Undecodable, or failed for the last time with no failure event: on the dead-letter
    subject, never redelivered."""


class ConsumerMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        """Without `registry`, the figures are kept but nobody can scrape them."""
        registry = registry if registry is not None else CollectorRegistry()
        self.messages = Counter(
            "recto_consumer_messages",
            "messages settled, by durable consumer, event type and outcome",
            ["consumer", "event_type", "outcome"],
            registry=registry,
        )
        self.failures = Counter(
            "recto_consumer_handler_failures",
            "handler (or final-failure hook) runs that raised, by error class",
            ["consumer", "error"],
            registry=registry,
        )
        self.handler_seconds = Histogram(
            "recto_consumer_handler_seconds",
            "from a decoded message's arrival to its ack, nak or dead letter",
            ["consumer"],
            buckets=HANDLER_BUCKETS,
            registry=registry,
        )
        self.pending = Gauge(
            "recto_consumer_pending_messages",
            "messages of the stream not yet delivered to the durable consumer (num_pending)",
            ["consumer"],
            registry=registry,
        )
        self.ack_pending = Gauge(
            "recto_consumer_ack_pending_messages",
            "messages delivered and not yet acknowledged: work in progress (num_ack_pending)",
            ["consumer"],
            registry=registry,
        )

    def declare(self, consumer: str, event_types: Iterable[str]) -> None:
        """Every series a subscription can produce, at zero: a rate over a series that
        appears with its first message would miss that message."""
        for event_type in (*event_types, "other"):
            for outcome in Outcome:
                self.messages.labels(consumer, event_type, outcome.value)
        self.handler_seconds.labels(consumer)

    def settled(self, consumer: str, event_type: str, outcome: Outcome) -> None:
        self.messages.labels(consumer, event_type, outcome.value).inc()

    def failed(self, consumer: str, error: BaseException) -> None:
        self.failures.labels(consumer, type(error).__name__).inc()

    @contextlib.contextmanager
    def timed(self, consumer: str) -> Iterator[None]:
        with self.handler_seconds.labels(consumer).time():
            yield

    def lag(self, consumer: str, pending: float, ack_pending: float) -> None:
        self.pending.labels(consumer).set(pending)
        self.ack_pending.labels(consumer).set(ack_pending)


def event_type_label(prefix: str, event_types: Sequence[str], subject: str) -> str:
    """A message's event type, read from its subject: one of the subscription's, or `other`,
    so a stray subject cannot grow the number of series."""
    for event_type in event_types:
        if subject == event_subject(prefix, event_type):
            return event_type
    return "other"


async def sample_consumer_lag(
    js: JetStreamContext,
    stream: str,
    consumers: Iterable[str],
    metrics: ConsumerMetrics,
    *,
    timeout: float = 5.0,
) -> None:
    """Each durable consumer's lag from its consumer info. One that cannot be read (NATS away,
    the consumer deleted) reads NaN: an old figure would look like a real one."""
    for consumer in consumers:
        try:
            info = await js.consumer_info(stream, consumer, timeout=timeout)
        except (nats.errors.Error, OSError, TimeoutError):
            metrics.lag(consumer, math.nan, math.nan)
            continue
        metrics.lag(consumer, info.num_pending or 0, info.num_ack_pending or 0)
