"""The stall sweeper's loop: one gateway replica at a time sweeps, every tick.

Leadership is a session-level PostgreSQL advisory lock held on a connection of its own (from
`sessions`, the direct URL's pool: a transaction-mode pooler cannot hold the lock): when
that replica stops or its connection dies, PostgreSQL releases the lock and a standby, which
tries again every tick, takes over. A failing sweep is logged and the loop goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import asyncpg

from gateway.application.sweeper import (
    StalledPageCandidates,
    SweepReport,
    SweepSettings,
    sweep_stalled_pages,
)
from infra.eventstore import EventStore
from infra.locks import AdvisoryLock

log = logging.getLogger(__name__)

SWEEPER_LOCK = AdvisoryLock.STALL_SWEEPER.value


class StallSweeper:
    def __init__(
        self,
        sessions: asyncpg.Pool,
        store: EventStore,
        candidates: StalledPageCandidates,
        settings: SweepSettings,
        *,
        tick_seconds: float,
    ) -> None:
        self.sessions, self.store, self.candidates = sessions, store, candidates
        self.settings, self.tick_seconds = settings, tick_seconds
        self.leading = False
        self.sweeps = 0
        self.last_report: SweepReport | None = None

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self._lead_if_free(stop)
            except Exception:
                log.exception("stall sweeper lost its lock connection; trying again")
            await _wait(stop, self.tick_seconds)

    async def _lead_if_free(self, stop: asyncio.Event) -> None:
        async with self.sessions.acquire() as connection:
            if not await connection.fetchval("SELECT pg_try_advisory_lock($1)", SWEEPER_LOCK):
                return
            try:
                self.leading = True
                log.info("this replica sweeps stalled pages")
                await self._sweep_until(stop, connection)
            finally:
                self.leading = False
                if not connection.is_closed():
                    await connection.execute("SELECT pg_advisory_unlock($1)", SWEEPER_LOCK)

    async def _sweep_until(self, stop: asyncio.Event, connection: asyncpg.Connection) -> None:
        while not stop.is_set():
            # A dead lock connection means the lock is gone: step down rather than sweep twice.
            await connection.fetchval("SELECT 1")
            try:
                self.last_report = await sweep_stalled_pages(
                    self.store, self.candidates, self.settings
                )
                self.sweeps += 1
            except Exception:
                log.exception("stall sweep failed; trying again at the next tick")
            await _wait(stop, self.tick_seconds)


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
