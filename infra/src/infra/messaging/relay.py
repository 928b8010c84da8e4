"""The relay: publishes committed events, in position order, from the store to JetStream.

The event store is the outbox: services append events and never publish them, so nothing is
lost between the database and the bus. Each message carries `Nats-Msg-Id = event_id`, and the
relay resumes from the later of its checkpoint and the last position JetStream holds, so a
crash between publishing and checkpointing publishes nothing twice.

Only the relay holding a PostgreSQL advisory lock works; others stand by. The lock lives on
one session (on the direct URL, never through a transaction-mode pooler), so when the
database goes away the relay loses it: it lets go of everything, waits (capped, jittered),
competes for the lock again — another relay may have won it meanwhile, and then this one
stands by — and resumes from the checkpoint or JetStream's last position. No database or NATS
error ends `run`; only `stop` does.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from typing import Literal

import asyncpg
from nats.js import JetStreamContext

from contracts.subjects import event_subject, events_stream
from infra.eventstore import PostgresEventStore, RawEvent
from infra.eventstore.checkpoints import load_checkpoint, save_checkpoint
from infra.locks import AdvisoryLock
from infra.messaging.backoff import Backoff, sleep_unless_stopped
from infra.messaging.provisioning import ensure_streams
from infra.metrics import RelayMetrics
from infra.polling import IdleBackoff
from infra.wakeups import Wakeup

log = logging.getLogger(__name__)

POSITION_HEADER = "Recto-Position"
RELAY_LOCK = AdvisoryLock.RELAY.value

Role = Literal["starting", "standby", "active", "recovering"]


class LockLost(ConnectionError):
    """The session holding the relay's advisory lock ended: another relay may hold it now."""


class Relay:
    def __init__(
        self,
        store: PostgresEventStore,
        js: JetStreamContext,
        prefix: str,
        *,
        batch_size: int = 1000,
        idle_sleep: float = 0.005,
        name: str = "relay",
        publish_timeout: float = 10.0,
        recovery: Backoff | None = None,
        lock_retry: float = 1.0,
        metrics: RelayMetrics | None = None,
    ) -> None:
        self.store, self.js, self.prefix = store, js, prefix
        self.batch_size, self.idle_sleep, self.name = batch_size, idle_sleep, name
        self.publish_timeout, self.lock_retry = publish_timeout, lock_retry
        self.recovery = recovery or Backoff(0.5, 15.0)
        self.metrics = metrics or RelayMetrics()
        self.position = 0
        self.published = 0
        self.role: Role = "starting"
        self.recoveries = 0
        self.last_error = ""

    async def start(self) -> None:
        await ensure_streams(self.js, self.prefix)
        checkpoint = await load_checkpoint(self.store.pool, self.name)
        published, head = await self._last_published_position(), await self.store.head_position()
        if published > head:
            # The bus holds a history this store never had (it was restored from a backup, or
            # the bus outlived another database): only the checkpoint speaks for this store.
            log.warning(
                "JetStream is ahead of the event store; resuming from the checkpoint",
                extra={"published": published, "head": head, "checkpoint": checkpoint},
            )
            published = 0
        self.position = max(checkpoint, published)

    async def _last_published_position(self) -> int:
        stream = events_stream(self.prefix)
        info = await self.js.stream_info(stream)
        if not info.state.last_seq:
            return 0
        message = await self.js.get_msg(stream, seq=info.state.last_seq)
        return int((message.headers or {}).get(POSITION_HEADER, 0))

    async def relay_once(self) -> int:
        """Publish the next batch; returns how many events it published."""
        batch = await self.store.read_all_raw(after=self.position, limit=self.batch_size)
        if not batch:
            return 0
        await self._publish(batch)
        self.position = batch[-1].position
        await save_checkpoint(self.store.pool, self.name, self.position)
        self.published += len(batch)
        self.metrics.relayed.inc(len(batch))
        return len(batch)

    async def _publish(self, batch: Sequence[RawEvent]) -> None:
        try:
            acks = [
                await self.js.publish_async(
                    event_subject(self.prefix, event.type),
                    event.to_wire_json().encode(),
                    headers={
                        "Nats-Msg-Id": str(event.event_id),
                        POSITION_HEADER: str(event.position),
                    },
                )
                for event in batch
            ]
            # Any failed publish fails the batch: it is published again, and deduplicated. An
            # ack lost with a dropped connection never comes: without the timeout the relay
            # would wait for it forever.
            async with asyncio.timeout(self.publish_timeout):
                await asyncio.gather(*acks)
        except Exception:
            self.metrics.publish_failures.inc()
            raise

    async def run(self, stop: asyncio.Event) -> None:
        """Relay until `stop` is set; only one relay at a time holds the lock and works."""
        wakeup = self.store.wakeup()
        try:
            while not stop.is_set():
                try:
                    await self._lead_or_stand_by(stop, wakeup)
                except Exception as error:
                    self.role, self.recoveries = "recovering", self.recoveries + 1
                    self.last_error = f"{type(error).__name__}: {error}"
                    log.warning(
                        "relay lost a connection; it will retry",
                        extra={"error": self.last_error, "position": self.position},
                    )
                    await self.recovery.wait(stop)
        finally:
            wakeup.close()

    async def _lead_or_stand_by(self, stop: asyncio.Event, wakeup: Wakeup) -> None:
        async with self.store.sessions.acquire() as lock_connection:
            self.role = "standby"
            if not await self._wait_for_lock(lock_connection, stop):
                return
            try:
                await self.start()
                self.role = "active"
                self.recovery.reset()
                log.info("relay active", extra={"position": self.position})
                idle = IdleBackoff(self.idle_sleep, max(self.idle_sleep, 0.05), wakeup)
                while not stop.is_set():
                    if not _usable(lock_connection):
                        raise LockLost("the connection holding the relay lock closed")
                    if await self.relay_once():
                        idle.worked()
                    else:
                        await idle.idle(stop)
            finally:
                await _unlock(lock_connection)

    async def _wait_for_lock(self, connection: asyncpg.Connection, stop: asyncio.Event) -> bool:
        while not stop.is_set():
            if await connection.fetchval("SELECT pg_try_advisory_lock($1)", RELAY_LOCK):
                return True
            self.recovery.reset()  # the database answers: a later outage starts short again
            await sleep_unless_stopped(stop, self.lock_retry)
        return False


def _usable(connection: asyncpg.Connection) -> bool:
    try:
        return not connection.is_closed()
    except asyncpg.InterfaceError:  # asyncpg detached it from the pool when it broke
        return False


async def _unlock(connection: asyncpg.Connection) -> None:
    """The connection goes back to the pool: it must not keep the lock. A broken one has
    lost the lock already, with its session."""
    if _usable(connection):
        with contextlib.suppress(asyncpg.InterfaceError, asyncpg.PostgresError, OSError):
            await connection.execute("SELECT pg_advisory_unlock($1)", RELAY_LOCK)
