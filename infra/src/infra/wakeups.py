"""Wake-ups inside one process: a signal wakes every waiter subscribed to it.

A wake-up only says "look now": the waiter still reads what is there by its own rules (the
event store's horizon), so one that arrives early, late or twice costs a query, never an
event. A wake-up that comes while its waiter is busy is kept until the waiter next waits.
"""

from __future__ import annotations

import asyncio
import contextlib


class Signal:
    """Fans one wake-up out to every subscribed waiter.

    `quiet_seconds`: how long a waiter that relies on this signal may wait between looks.
    """

    def __init__(self, quiet_seconds: float = 1.0) -> None:
        self.quiet_seconds = quiet_seconds
        self._waiters: set[asyncio.Event] = set()
        self.fired = 0

    @property
    def listening(self) -> bool:
        """Whether wake-ups arrive reliably now; waiters poll at full speed when not."""
        return True

    def subscribe(self) -> Wakeup:
        return Wakeup(self)

    def fire(self) -> None:
        self.fired += 1
        for waiter in self._waiters:
            waiter.set()

    def _add(self, waiter: asyncio.Event) -> None:
        self._waiters.add(waiter)

    def _remove(self, waiter: asyncio.Event) -> None:
        self._waiters.discard(waiter)


class Wakeup:
    """One waiter's subscription to a signal."""

    def __init__(self, signal: Signal) -> None:
        self.signal = signal
        self._woken = asyncio.Event()
        signal._add(self._woken)

    @property
    def listening(self) -> bool:
        return self.signal.listening

    @property
    def quiet_seconds(self) -> float:
        return self.signal.quiet_seconds

    async def wait(self, stop: asyncio.Event, timeout: float) -> bool:
        """Wait until woken, `stop` is set or `timeout` seconds pass; True when woken."""
        if not self._woken.is_set() and not stop.is_set():
            woken = asyncio.ensure_future(self._woken.wait())
            stopped = asyncio.ensure_future(stop.wait())
            try:
                await asyncio.wait((woken, stopped), timeout=timeout, return_when="FIRST_COMPLETED")
            finally:
                for waiting in (woken, stopped):
                    waiting.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await waiting
        if self._woken.is_set():
            self._woken.clear()
            return True
        return False

    def close(self) -> None:
        self.signal._remove(self._woken)
