"""Streams and durable consumers, declared in code so every deployment gets the same ones."""

from __future__ import annotations

from collections.abc import Sequence

from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, StreamConfig
from nats.js.errors import NotFoundError

from contracts.subjects import (
    all_events,
    dead_letter_stream,
    dead_letter_subject,
    event_subject,
    events_stream,
)

DUPLICATE_WINDOW_SECONDS = 600.0


async def ensure_streams(js: JetStreamContext, prefix: str, *, replicas: int | None = None) -> None:
    """The event stream (deduplicated by `Nats-Msg-Id`) and the dead-letter stream.

    `replicas` (RECTO_NATS_REPLICAS, applied by `recto provision`): None keeps an existing
    stream's replication, so a service starting against an R3 stream never scales it down.
    """
    await _ensure_stream(
        js,
        StreamConfig(
            name=events_stream(prefix),
            subjects=[all_events(prefix)],
            duplicate_window=DUPLICATE_WINDOW_SECONDS,
            num_replicas=replicas,
        ),
    )
    await _ensure_stream(
        js,
        StreamConfig(
            name=dead_letter_stream(prefix),
            subjects=[dead_letter_subject(prefix, "*")],
            num_replicas=replicas,
        ),
    )


async def _ensure_stream(js: JetStreamContext, config: StreamConfig) -> None:
    try:
        existing = await js.stream_info(config.name or "")
    except NotFoundError:
        await js.add_stream(config)
    else:
        if config.num_replicas is None:
            config.num_replicas = existing.config.num_replicas
        await js.update_stream(config)


async def ensure_consumer(
    js: JetStreamContext,
    prefix: str,
    durable: str,
    event_types: Sequence[str],
    *,
    max_deliver: int,
    ack_wait: float,
    max_ack_pending: int = 1000,
) -> None:
    """A durable pull consumer shared by every replica of a service (competing consumers).

    One type uses `filter_subject`; several use `filter_subjects`, which servers before 2.10
    ignore — the runtime then skips the other types itself. For an existing durable the server
    applies the editable fields (`ack_wait`, `max_deliver`, filters…), so a changed setting
    reaches consumers created by older deployments.
    """
    subjects = [event_subject(prefix, t) for t in event_types]
    await js.add_consumer(
        events_stream(prefix),
        ConsumerConfig(
            durable_name=durable,
            filter_subject=subjects[0] if len(subjects) == 1 else None,
            filter_subjects=subjects if len(subjects) > 1 else None,
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            ack_wait=ack_wait,
            max_deliver=max_deliver,
            max_ack_pending=max_ack_pending,
        ),
    )
