"""Figures read from elsewhere (JetStream, the event store) every few seconds, not per message."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from infra.messaging.backoff import sleep_unless_stopped

log = logging.getLogger(__name__)


async def sample_every(
    seconds: float, stop: asyncio.Event, sample: Callable[[], Awaitable[None]]
) -> None:
    """Run `sample` now and every `seconds` until `stop` is set. A failed sample is logged and
    the next one tried: a metric must never take its process down."""
    while not stop.is_set():
        try:
            await sample()
        except Exception as error:
            log.warning("a metrics sample failed", extra={"error": repr(error)})
        await sleep_unless_stopped(stop, seconds)
