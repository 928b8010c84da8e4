"""Append notifications: a committed append wakes the tailing readers of every process.

One PostgreSQL channel carries them. Each process keeps one dedicated connection that LISTENs
(on the direct URL: a transaction-mode pooler cannot hold a LISTEN) and fires a `Signal` its
tailers (relay, projections, feed) wait on; they still poll, slowly, as the gap-safe fallback,
and at full speed whenever the listener is not connected. NOTIFY itself is an ordinary
statement: it may go through the pooler.

Sending: `NOTIFY` inside the append's own transaction would serialise every committing append
behind PostgreSQL's global notification lock, flush to disk included (measured: 8 concurrent
single-event writers fell to half their rate). So a pool append, once committed, asks for one
notification soon: appends that commit while one is being sent share the next, sent in a
transaction of its own that does not wait for the disk. An append inside a caller's
transaction cannot know when it commits and notifies in that transaction instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

import asyncpg

from infra.messaging.backoff import Backoff
from infra.wakeups import Signal, Wakeup

if TYPE_CHECKING:
    from infra.settings import Settings

log = logging.getLogger(__name__)

CHANNEL = "recto_appended"
NOTIFY_IN_TRANSACTION = f"SELECT pg_notify('{CHANNEL}', '')"
# One round trip; no wait for the flush: a notification is a hint, its loss costs latency only.
_NOTIFY = f"BEGIN; SET LOCAL synchronous_commit TO off; SELECT pg_notify('{CHANNEL}', ''); COMMIT"


@dataclass(frozen=True)
class WakeupSettings:
    quiet_seconds: float = 5.0
    """How often an idle tailer looks anyway while it is listening."""
    keepalive_seconds: float = 30.0
    """How often the listening connection is checked, to find one that died silently."""
    reconnect_shortest: float = 0.5
    reconnect_longest: float = 15.0
    listen: bool = True
    """False where no session connection is allowed: tailers then poll at full speed."""
    notify_interval_seconds: float = 0.002
    """The shortest time between two notifications a process sends: appends committing within
    it share one (each costs a pooled connection, a round trip and a transaction id)."""

    @classmethod
    def of(cls, settings: Settings) -> WakeupSettings:
        return cls(
            quiet_seconds=settings.quiet_poll_seconds,
            keepalive_seconds=settings.listen_keepalive_seconds,
            reconnect_shortest=settings.outage_backoff_seconds,
            reconnect_longest=settings.outage_backoff_max_seconds,
            listen=settings.database_listen,
        )


class AppendSignal(Signal):
    """Fired on every notification; listening only while the connection is up."""

    def __init__(self, quiet_seconds: float) -> None:
        super().__init__(quiet_seconds)
        self.connected = False

    @property
    def listening(self) -> bool:
        return self.connected


class AppendNotifications:
    """The process's listener (started by the first subscriber) and its notification sender."""

    def __init__(self, dsn: str, pool: asyncpg.Pool, settings: WakeupSettings) -> None:
        self.dsn, self.pool, self.settings = dsn, pool, settings
        self.signal = AppendSignal(settings.quiet_seconds)
        self.connections = 0
        self._stop = asyncio.Event()
        self._listener: asyncio.Task[None] | None = None
        self._sender: asyncio.Task[None] | None = None
        self._pending = False

    def subscribe(self) -> Wakeup:
        if self._listener is None and not self._stop.is_set() and self.settings.listen:
            self._listener = asyncio.create_task(self._listen())
        return self.signal.subscribe()

    def appended(self) -> None:
        """An append committed: notify every listener soon (once for appends close together)."""
        self._pending = True
        if self._sender is None or self._sender.done():
            self._sender = asyncio.create_task(self._send())

    async def _send(self) -> None:
        while self._pending:
            self._pending = False
            try:
                async with self.pool.acquire() as connection:
                    await connection.execute(_NOTIFY)
            except Exception as error:  # listeners poll, and wake all when they reconnect
                log.debug("append notification not sent", extra={"error": repr(error)})
                return
            await asyncio.sleep(self.settings.notify_interval_seconds)

    async def _listen(self) -> None:
        backoff = Backoff(self.settings.reconnect_shortest, self.settings.reconnect_longest)
        while not self._stop.is_set():
            try:
                await self._listen_once(backoff)
            except Exception as error:
                log.info(
                    "append notifications lost; tailers poll until they are back",
                    extra={"error": f"{type(error).__name__}: {error}"},
                )
            finally:
                self.signal.connected = False
            self.signal.fire()  # whatever the reason, look now and poll at full speed
            await backoff.wait(self._stop)

    async def _listen_once(self, backoff: Backoff) -> None:
        connection = await asyncpg.connect(self.dsn)
        lost = asyncio.Event()
        try:
            connection.add_termination_listener(lambda _: lost.set())
            await connection.add_listener(CHANNEL, self._on_notification)
            self.signal.connected, self.connections = True, self.connections + 1
            backoff.reset()
            # Appends committed while nobody listened were never announced: look now.
            self.signal.fire()
            keepalive = self.settings.keepalive_seconds
            while not lost.is_set():
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(keepalive):
                        await lost.wait()
                if not lost.is_set():  # a connection that died silently fails this
                    await connection.fetchval("SELECT 1", timeout=keepalive)
        finally:
            if lost.is_set() or connection.is_closed():
                connection.terminate()
            else:
                with contextlib.suppress(Exception):
                    await connection.close(timeout=self.settings.keepalive_seconds)

    def _on_notification(self, *_: object) -> None:
        self.signal.fire()

    async def sent(self) -> None:
        """Until the notifications asked for so far are sent (or given up)."""
        if self._sender is not None:
            with contextlib.suppress(Exception):
                await self._sender

    async def close(self) -> None:
        """Send what is pending, then stop listening."""
        await self.sent()
        self._stop.set()
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._listener
