"""The watch scheduler: one replica at a time sweeps the watched manifests.

Leadership is a session-level PostgreSQL advisory lock held on a connection of its own (from
`sessions`, the direct URL's pool: a transaction-mode pooler cannot hold the lock): when
that replica stops or its connection dies, PostgreSQL releases the lock and a standby, which
retries every few seconds, takes over. A failing sweep is logged and the loop goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import asyncpg

from infra.locks import AdvisoryLock
from ingest.application.watch_manifests import SweepReport, WatchPorts, sweep

log = logging.getLogger(__name__)

WATCH_LOCK = AdvisoryLock.WATCH_SCHEDULER.value


class WatchScheduler:
    def __init__(
        self, sessions: asyncpg.Pool, ports: WatchPorts, *, lock_key: int = WATCH_LOCK
    ) -> None:
        self.sessions, self.ports, self.lock_key = sessions, ports, lock_key
        self.leading = False
        self.sweeps = 0
        self.last_report: SweepReport | None = None

    async def run(self, stop: asyncio.Event) -> None:
        settings = self.ports.settings
        while not stop.is_set():
            try:
                await self._lead_if_free(stop)
            except Exception:
                log.exception("watch scheduler lost its lock connection; retrying")
            await _wait(stop, settings.lock_retry_seconds)

    async def _lead_if_free(self, stop: asyncio.Event) -> None:
        async with self.sessions.acquire() as connection:
            if not await connection.fetchval("SELECT pg_try_advisory_lock($1)", self.lock_key):
                return
            try:
                self.leading = True
                log.info("watch scheduler leads the sweeps")
                await self._sweep_until(stop, connection)
            finally:
                self.leading = False
                if not connection.is_closed():
                    await connection.execute("SELECT pg_advisory_unlock($1)", self.lock_key)

    async def _sweep_until(self, stop: asyncio.Event, connection: asyncpg.Connection) -> None:
        while not stop.is_set():
            # A dead lock connection means the lock is gone: step down rather than sweep twice.
            await connection.fetchval("SELECT 1")
            try:
                self.last_report = await sweep(self.ports)
                self.sweeps += 1
            except Exception:
                log.exception("watch sweep failed; trying again at the next tick")
            await _wait(stop, self.ports.settings.poll_seconds)


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
