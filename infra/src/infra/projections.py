"""The projection runner: keeps a read model up to date by tailing the event store.

Each batch is applied and the checkpoint advanced in one transaction, so a crash never applies
an event twice or skips one. The checkpoint row is locked for the batch: several replicas may
run the same projection and still apply every event exactly once. A projection can be rebuilt
from position 0 at any time (`rebuild`), because stored events are the only source of truth.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import asyncpg

from contracts import RecordedEvent
from infra.eventstore import PostgresEventStore, RawEvent
from infra.eventstore.encoding import decode_many
from infra.polling import IdleBackoff
from infra.wakeups import Signal

log = logging.getLogger(__name__)

_Batch = tuple[list[RawEvent], list[RecordedEvent]]

_ENSURE_CHECKPOINT = (
    "INSERT INTO checkpoints (consumer, position) VALUES ($1, 0) ON CONFLICT DO NOTHING"
)
_LOCK_CHECKPOINT = "SELECT position FROM checkpoints WHERE consumer = $1 FOR UPDATE"
_ADVANCE = "UPDATE checkpoints SET position = $2, updated_at = now() WHERE consumer = $1"


class Projection(Protocol):
    name: str
    event_types: Sequence[str]
    """The types it reads; empty means all."""

    async def apply(self, connection: asyncpg.Connection, events: Sequence[RecordedEvent]) -> None:
        """Update the read model for these events, inside the runner's transaction."""
        ...

    async def reset(self, connection: asyncpg.Connection) -> None:
        """Empty the read model, before a rebuild."""
        ...


@runtime_checkable
class Remembering(Protocol):
    """A projection that keeps rows between batches, to skip loading them again.

    What it keeps is what its tables held at the checkpoint the runner last committed. Another
    replica's batch, a failed batch or a rebuild breaks that: the runner calls `forget` then,
    before the projection applies anything (the read model at a checkpoint is a function of the
    events up to it, so kept rows are right again whenever the checkpoint is the one committed).
    """

    def forget(self) -> None: ...


class ProjectionRunner:
    def __init__(
        self,
        store: PostgresEventStore,
        projection: Projection,
        *,
        batch_size: int = 500,
        idle_sleep: float = 0.01,
    ) -> None:
        self.store, self.projection = store, projection
        self.batch_size, self.idle_sleep = batch_size, idle_sleep
        self.position = 0
        self._idle = False
        self._committed: int | None = None
        """The checkpoint this runner last committed, while what the projection keeps matches."""
        self.applied = Signal(store.wakeup_settings.quiet_seconds)
        """Fired after each batch is committed: what reads the read model may look now."""
        self._ahead: tuple[int, asyncio.Task[_Batch]] | None = None
        """The next batch, read and decoded while this one is written: (after, reading)."""

    async def run_once(self) -> int:
        """Apply the next batch; returns how many events it applied."""
        if self._idle and not await self.store.any_after(
            self.position, self.projection.event_types
        ):
            # Nothing past the checkpoint it last saw, so nothing past the current one (it only
            # moves forward): no need to lock the checkpoint, which costs a write transaction.
            return 0
        try:
            async with self.store.pool.acquire() as connection, connection.transaction():
                checkpoint = await _locked_checkpoint(connection, self.projection.name)
                if checkpoint != self._committed:  # another replica (or a rebuild) moved it
                    self._forget()
                raws, events = self._take_ahead(checkpoint) or await self._read(
                    checkpoint, connection
                )
                if len(raws) == self.batch_size:  # more is likely waiting
                    self._read_ahead(raws[-1].position)
                if raws:
                    await self.projection.apply(connection, events)
                    await connection.execute(_ADVANCE, self.projection.name, raws[-1].position)
                position = raws[-1].position if raws else checkpoint
        except BaseException:
            # Rolled back, or a commit of unknown outcome: the kept rows may hold its changes.
            self._forget()
            raise
        self.position = self._committed = position
        self._idle = not raws
        if raws:
            self.applied.fire()
        return len(raws)

    async def catch_up(self) -> int:
        applied = 0
        while count := await self.run_once():
            applied += count
        return applied

    async def rebuild(self) -> int:
        """Empty the read model and apply the whole log again."""
        self._forget()
        async with self.store.pool.acquire() as connection, connection.transaction():
            await _locked_checkpoint(connection, self.projection.name)
            await self.projection.reset(connection)
            await connection.execute(_ADVANCE, self.projection.name, 0)
        self.position, self._idle = 0, False
        return await self.catch_up()

    async def _read(self, after: int, connection: asyncpg.Connection | None = None) -> _Batch:
        raws = await self.store.read_all_raw(
            after=after,
            limit=self.batch_size,
            types=self.projection.event_types,
            connection=connection,
        )
        return raws, decode_many(raws)

    def _read_ahead(self, after: int) -> None:
        """Read and decode the batch after `after` on a connection of its own, meanwhile.

        What it reads lies below the read horizon: final, so the first events past `after`
        whenever the checkpoint is still `after` when it is used (another replica may have
        moved it: then it is dropped)."""
        self._drop_ahead()
        self._ahead = (after, asyncio.create_task(self._read(after)))

    def _take_ahead(self, checkpoint: int) -> _Batch | None:
        """The batch read ahead from `checkpoint`, if it is ready: never waited for, since its
        read needs a pooled connection while the caller holds one."""
        ahead, self._ahead = self._ahead, None
        if ahead is None:
            return None
        after, reading = ahead
        if after != checkpoint or not reading.done() or reading.cancelled():
            _discard(reading)
            return None
        if reading.exception() is not None:
            return None  # read again, in the batch's transaction
        raws, events = reading.result()
        return (raws, events) if raws else None

    def _drop_ahead(self) -> None:
        if self._ahead is not None:
            _discard(self._ahead[1])
            self._ahead = None

    def _forget(self) -> None:
        self._drop_ahead()
        self._committed = None
        if isinstance(self.projection, Remembering):
            self.projection.forget()

    async def run(self, stop: asyncio.Event) -> None:
        """Apply batches until `stop`: at once when events are appended, else polling slowly."""
        wakeup = self.store.wakeup()
        backoff = IdleBackoff(self.idle_sleep, max(self.idle_sleep, 0.1), wakeup)
        try:
            while not stop.is_set():
                try:
                    applied = await self.run_once()
                except Exception:
                    log.exception(
                        "projection batch failed", extra={"projection": self.projection.name}
                    )
                    applied = 0
                    await asyncio.sleep(1.0)
                if applied:
                    backoff.worked()
                else:
                    await backoff.idle(stop)
        finally:
            self._drop_ahead()
            wakeup.close()


async def _locked_checkpoint(connection: asyncpg.Connection, name: str) -> int:
    await connection.execute(_ENSURE_CHECKPOINT, name)
    return int(await connection.fetchval(_LOCK_CHECKPOINT, name))


def _discard(task: asyncio.Task[_Batch]) -> None:
    task.cancel()
    if task.done() and not task.cancelled():
        task.exception()  # retrieved: a failed read ahead is no error of its own
