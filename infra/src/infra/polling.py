"""Tailing loops wait longer while the log is quiet and go back to full speed on new events.

Polling at a fixed few milliseconds kept the relay, projections and feed busy on an idle
machine (a quarter of a core between them); doubling the wait while idle, up to a cap, keeps
latency low under traffic and near zero cost when nothing happens.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field


@dataclass
class IdleBackoff:
    shortest: float
    longest: float
    current: float = field(init=False)

    def __post_init__(self) -> None:
        self.current = self.shortest

    def worked(self) -> None:
        self.current = self.shortest

    async def idle(self, stop: asyncio.Event) -> None:
        """Wait the current idle time (or until stopped), and lengthen the next one."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=self.current)
        self.current = min(self.current * 2, self.longest)
