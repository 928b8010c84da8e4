"""Waiting between retries while a dependency is down: doubling, capped, jittered.

The jitter matters when a server comes back: every process of every service lost it at the
same moment, and without it they would all knock again in lockstep. Each wait lies between
half and all of the current step ("equal jitter"), so it never collapses to nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from dataclasses import dataclass, field


@dataclass
class Backoff:
    shortest: float
    longest: float
    attempts: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        if not 0 < self.shortest <= self.longest:
            raise ValueError(f"need 0 < shortest <= longest, got {self.shortest}, {self.longest}")

    def step(self, attempt: int) -> float:
        """The cap of the wait before retry number `attempt + 1` (0-based), before jitter."""
        return min(self.longest, self.shortest * 2.0 ** min(attempt, 62))

    def delay(self, attempt: int) -> float:
        """A jittered wait before retry number `attempt + 1`."""
        step = self.step(attempt)
        return step / 2 + random.uniform(0, step / 2)  # jitter, not secrets

    def next_delay(self) -> float:
        self.attempts += 1
        return self.delay(self.attempts - 1)

    def reset(self) -> None:
        self.attempts = 0

    async def wait(self, stop: asyncio.Event | None = None) -> None:
        """Wait the next delay, or until `stop` is set."""
        delay = self.next_delay()
        if stop is None:
            await asyncio.sleep(delay)
        else:
            await sleep_unless_stopped(stop, delay)


async def sleep_unless_stopped(stop: asyncio.Event, seconds: float) -> None:
    """Wait `seconds`, or less if `stop` is set meanwhile.

    `asyncio.timeout` rather than `wait_for`: on Python 3.11, `wait_for` swallows a
    cancellation that arrives just as the awaited thing completes, and the task runs on.
    """
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await stop.wait()
