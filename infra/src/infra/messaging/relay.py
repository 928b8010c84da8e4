"""The relay: publishes committed events, in position order, from the store to JetStream.

The event store is the outbox: services append events and never publish them, so nothing is
lost between the database and the bus. Each message carries `Nats-Msg-Id = event_id`, and the
relay resumes from the later of its checkpoint and the last position JetStream holds, so a
crash between publishing and checkpointing publishes nothing twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence

import asyncpg
from nats.js import JetStreamContext

from contracts.subjects import event_subject, events_stream
from infra.eventstore import PostgresEventStore, RawEvent
from infra.eventstore.checkpoints import load_checkpoint, save_checkpoint
from infra.locks import AdvisoryLock
from infra.messaging.provisioning import ensure_streams
from infra.polling import IdleBackoff

log = logging.getLogger(__name__)

POSITION_HEADER = "Recto-Position"
RELAY_LOCK = AdvisoryLock.RELAY.value


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
    ) -> None:
        self.store, self.js, self.prefix = store, js, prefix
        self.batch_size, self.idle_sleep, self.name = batch_size, idle_sleep, name
        self.position = 0
        self.published = 0

    async def start(self) -> None:
        await ensure_streams(self.js, self.prefix)
        checkpoint = await load_checkpoint(self.store.pool, self.name)
        self.position = max(checkpoint, await self._last_published_position())

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
        return len(batch)

    async def _publish(self, batch: Sequence[RawEvent]) -> None:
        acks = [
            await self.js.publish_async(
                event_subject(self.prefix, event.type),
                event.to_wire_json().encode(),
                headers={"Nats-Msg-Id": str(event.event_id), POSITION_HEADER: str(event.position)},
            )
            for event in batch
        ]
        # Any failed publish fails the batch: it is published again, and deduplicated.
        await asyncio.gather(*acks)

    async def run(self, stop: asyncio.Event) -> None:
        """Relay until `stop` is set; only one relay at a time holds the lock and works."""
        async with self.store.pool.acquire() as lock_connection:
            await _wait_for_lock(lock_connection, stop)
            if stop.is_set():
                return
            try:
                await self.start()
                log.info("relay active", extra={"position": self.position})
                backoff = IdleBackoff(self.idle_sleep, max(self.idle_sleep, 0.05))
                while not stop.is_set():
                    if await self.relay_once():
                        backoff.worked()
                    else:
                        await backoff.idle(stop)
            finally:
                # The connection goes back to the pool: it must not keep the lock.
                await lock_connection.execute("SELECT pg_advisory_unlock($1)", RELAY_LOCK)


async def _wait_for_lock(connection: asyncpg.Connection, stop: asyncio.Event) -> None:
    while not stop.is_set():
        if await connection.fetchval("SELECT pg_try_advisory_lock($1)", RELAY_LOCK):
            return
        await _sleep_or_stop(stop, 1.0)


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
