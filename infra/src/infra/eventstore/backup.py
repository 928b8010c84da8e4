"""Reading the whole log out of a database, and writing it into an empty one.

A backup reads one REPEATABLE READ snapshot, below the gap-safety horizon like every reader
(`postgres.py`): a prefix of the log that no open transaction can still extend, streamed
through a server-side cursor so memory stays flat whatever the log's size.

A restore keeps every event's id, stream, version, type, schema version, data, metadata and
`recorded_at`, and their order, but not their positions: positions are made from transaction
ids, and another cluster's ids are unrelated (ADR 0002). It writes the whole log in one
transaction (all or nothing) at positions `65536, 65537, …`, that is under transaction ids
below its own: readers see them once it commits, and every later append, with a larger
transaction id, lands after them. The relay's checkpoint is set to the last one, so the
history, handled before the backup, is not published to the services again (ADR 0011).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass

import asyncpg

from contracts.errors import RectoError
from infra.eventstore.api import RawEvent
from infra.eventstore.checkpoints import save_checkpoint
from infra.eventstore.postgres import ORDINAL_BITS
from infra.locks import AdvisoryLock

RELAY_CHECKPOINT = "relay"
"""The relay's checkpoint name (`Relay.name`)."""
FIRST_POSITION = 1 << ORDINAL_BITS

_HORIZON = f"SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint << {ORDINAL_BITS}"
_SUMMARY = "SELECT count(*), coalesce(max(position), 0) FROM events WHERE position < $1"
_EVENTS = """
SELECT position, event_id, stream_id, stream_version, type, schema_version,
       data::text, metadata::text, recorded_at
FROM events WHERE position < $1 ORDER BY position
"""
# Every `sha256` anywhere in an event's data: artifact references, whatever their event.
_SHA256_ANYWHERE = 'lax $.**.sha256 ? (@.type() == "string" && @ like_regex "^[0-9a-f]{64}$")'
_ARTIFACTS = f"""
SELECT DISTINCT sha #>> '{{}}'
FROM events, jsonb_path_query(data, '{_SHA256_ANYWHERE}') AS found(sha)
WHERE position < $1
"""
_COLUMNS = [
    "position",
    "event_id",
    "stream_id",
    "stream_version",
    "type",
    "schema_version",
    "data",
    "metadata",
    "recorded_at",
]


class StoreNotEmpty(RectoError):
    code = "store-not-empty"


class RelayRunning(RectoError):
    code = "relay-running"


@dataclass(frozen=True)
class LogSummary:
    events: int
    artifacts: int
    last_position: int


class LogSnapshot:
    def __init__(self, connection: asyncpg.Connection, horizon: int) -> None:
        self.connection, self.horizon = connection, horizon

    async def summary(self) -> LogSummary:
        events, last = await self.connection.fetchrow(_SUMMARY, self.horizon)
        artifacts = await self.connection.fetchval(
            f"SELECT count(*) FROM ({_ARTIFACTS}) AS referenced", self.horizon
        )
        return LogSummary(int(events), int(artifacts), int(last))

    async def events(self, *, prefetch: int = 1000) -> AsyncIterator[RawEvent]:
        async for row in self.connection.cursor(_EVENTS, self.horizon, prefetch=prefetch):
            yield RawEvent(*row)

    async def artifacts(self, *, prefetch: int = 1000) -> AsyncIterator[str]:
        query = f"{_ARTIFACTS} ORDER BY 1"
        async for row in self.connection.cursor(query, self.horizon, prefetch=prefetch):
            yield str(row[0])


@contextlib.asynccontextmanager
async def log_snapshot(connection: asyncpg.Connection) -> AsyncIterator[LogSnapshot]:
    """A consistent view of the log for as long as the block runs (one transaction)."""
    async with connection.transaction(isolation="repeatable_read", readonly=True):
        yield LogSnapshot(connection, int(await connection.fetchval(_HORIZON)))


async def restore_log(
    connection: asyncpg.Connection, events: AsyncIterable[RawEvent], *, count: int
) -> int:
    """Write `events` (about `count` of them, in order) into an empty store; returns the last
    position. Their own positions are ignored. Refuses a store that holds events, and a
    database where a relay runs (it would publish the history again)."""
    if not await connection.fetchval("SELECT pg_try_advisory_lock($1)", AdvisoryLock.RELAY):
        raise RelayRunning("a relay is running against this database: stop Recto first")
    try:
        # Positions below FIRST_POSITION + count must lie under the restoring transaction's id.
        await advance_transaction_ids(connection, (FIRST_POSITION + count) >> ORDINAL_BITS)
        async with connection.transaction():
            # Appends wait for the restore; reads go on, seeing nothing until it commits.
            await connection.execute("LOCK TABLE events IN EXCLUSIVE MODE")
            if await connection.fetchval("SELECT EXISTS (SELECT 1 FROM events)"):
                raise StoreNotEmpty("the event store holds events: restore needs an empty one")
            own = int(await connection.fetchval("SELECT pg_current_xact_id()::text::bigint"))
            positions = _Positions(limit=own << ORDINAL_BITS)
            await connection.copy_records_to_table(
                "events", records=positions.assign(events), columns=_COLUMNS
            )
            if positions.last:
                await save_checkpoint(connection, RELAY_CHECKPOINT, positions.last)
        return positions.last
    finally:
        await connection.execute("SELECT pg_advisory_unlock($1)", AdvisoryLock.RELAY)


async def advance_transaction_ids(connection: asyncpg.Connection, beyond: int) -> None:
    """Use up transaction ids until the next one is above `beyond` (a fresh cluster starts
    near 1,000, room for 65 million restored events; a bigger log needs more)."""
    while int(await connection.fetchval("SELECT pg_current_xact_id()::text::bigint")) <= beyond:
        pass


@dataclass
class _Positions:
    limit: int
    last: int = 0

    async def assign(self, events: AsyncIterable[RawEvent]) -> AsyncIterator[tuple[object, ...]]:
        position = FIRST_POSITION
        async for event in events:
            if position >= self.limit:
                raise RuntimeError("more events than the restore made room for")
            yield (
                position,
                event.event_id,
                event.stream_id,
                event.stream_version,
                event.type,
                event.schema_version,
                event.data,
                event.metadata,
                event.recorded_at,
            )
            self.last = position
            position += 1
