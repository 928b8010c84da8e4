"""Tailing loops wait longer while the log is quiet and go back to full speed on new events.

Polling at a fixed few milliseconds kept the relay, projections and feed busy on an idle
machine (a quarter of a core between them); doubling the wait while idle, up to a cap, keeps
latency low under traffic and near zero cost when nothing happens.

With a wake-up (PostgreSQL notifications, ADR 0021) the loop sleeps until woken once the
doubling waits reach their cap, looking anyway every `quiet_seconds`: a notification can be
missed (its listener reconnecting) and is only a hint. After each wake-up the short waits
start again, because the events announced may still lie above the read horizon, held back
by an older transaction that has not ended yet.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field

from infra.wakeups import Wakeup


@dataclass
class IdleBackoff:
    shortest: float
    longest: float
    wakeup: Wakeup | None = None
    current: float = field(init=False)

    def __post_init__(self) -> None:
        self.current = self.shortest

    def worked(self) -> None:
        self.current = self.shortest

    async def idle(self, stop: asyncio.Event) -> None:
        """Wait the current idle time (or until stopped or woken), and lengthen the next one."""
        if self.wakeup is None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.current)
            self.current = min(self.current * 2, self.longest)
            return
        waited = self.current
        if self.wakeup.listening and self.current >= self.longest:
            waited = max(self.longest, self.wakeup.quiet_seconds)
        woken = await self.wakeup.wait(stop, waited)
        self.current = self.shortest if woken else min(self.current * 2, self.longest)
