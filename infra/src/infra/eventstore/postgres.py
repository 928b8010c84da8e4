"""`PostgresEventStore`: the event store on PostgreSQL through an asyncpg pool.

Gap safety. A position handed out at insert becomes visible only at commit, so a reader that
trusts `position > last` can skip an event whose transaction commits late. Here a position is
`(xid8 << 16) | ordinal`: positions sort by writing transaction, and a reader only reads
below `pg_snapshot_xmin(pg_current_snapshot()) << 16` — every transaction under that horizon
has ended, and every later one will get a larger xid, so what lies below is final.

Per-stream order holds because an append reads the streams' versions before its first write
(which assigns the xid): a transaction that saw version N committed gets a larger xid than the
one that wrote N. Long write transactions hold the horizon back (latency, never loss).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from uuid import UUID

import asyncpg

from contracts import Event, Metadata, RecordedEvent
from contracts.errors import TooManyEventsInTransaction, WrongExpectedVersion
from infra.eventstore.api import ANY, Idempotency, RawEvent, StreamAppend
from infra.eventstore.encoding import decode_many, encode_event, new_event_ids, recorded

ORDINAL_BITS = 16
MAX_EVENTS_PER_TRANSACTION = 1 << ORDINAL_BITS
ANY_VERSION_RETRIES = 8

_VERSIONS = """
SELECT stream_id, max(stream_version) FROM events
WHERE stream_id = ANY($1::text[]) GROUP BY stream_id
"""
_INSERT = f"""
INSERT INTO events
    (position, event_id, stream_id, stream_version, type, schema_version, data, metadata)
SELECT (pg_current_xact_id()::text::bigint << {ORDINAL_BITS}) | o,
       e, s, v, t, sv, d::jsonb, $8::jsonb
FROM unnest($1::int[], $2::uuid[], $3::text[], $4::int[], $5::text[], $6::int[], $7::text[])
    AS u(o, e, s, v, t, sv, d)
RETURNING position, recorded_at
"""
_MARK_PROCESSED = """
INSERT INTO processed (consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING 1
"""
_HORIZON = f"(pg_snapshot_xmin(pg_current_snapshot())::text::bigint << {ORDINAL_BITS})"
_COLUMNS = (
    "position, event_id, stream_id, stream_version, type, schema_version,"
    " data::text, metadata::text, recorded_at"
)
_READ_ALL = f"""
SELECT {_COLUMNS} FROM events
WHERE position > $1 AND position < {_HORIZON}
ORDER BY position LIMIT $2
"""
_READ_ALL_TYPES = f"""
SELECT {_COLUMNS} FROM events
WHERE position > $1 AND position < {_HORIZON} AND type = ANY($3::text[])
ORDER BY position LIMIT $2
"""
_READ_STREAM = f"""
SELECT {_COLUMNS} FROM events
WHERE stream_id = $1 AND stream_version >= $2 ORDER BY stream_version
"""


class _AlreadyProcessed(Exception):
    """Rolls the transaction back when another delivery already recorded its effect."""


def asyncpg_dsn(database_url: str) -> str:
    return database_url.replace("postgresql+asyncpg://", "postgresql://", 1)


class PostgresEventStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    @classmethod
    async def connect(cls, database_url: str, *, max_size: int = 10) -> PostgresEventStore:
        pool = await asyncpg.create_pool(asyncpg_dsn(database_url), min_size=1, max_size=max_size)
        return cls(pool)

    async def close(self) -> None:
        await self.pool.close()

    async def append(
        self,
        stream_id: str,
        events: Sequence[Event],
        *,
        expected_version: int | None = ANY,
        metadata: Metadata | None = None,
    ) -> list[RecordedEvent]:
        result = await self.append_streams(
            [StreamAppend(stream_id, events, expected_version)], metadata=metadata
        )
        assert result is not None  # no idempotency record was asked for
        return result

    async def append_streams(
        self,
        appends: Sequence[StreamAppend],
        *,
        metadata: Metadata | None = None,
        idempotency: Idempotency | None = None,
    ) -> list[RecordedEvent] | None:
        metadata = metadata or Metadata()
        payloads = [[encode_event(e) for e in a.events] for a in appends]
        total = sum(len(p) for p in payloads)
        if total > MAX_EVENTS_PER_TRANSACTION:
            raise TooManyEventsInTransaction(f"{total} events > {MAX_EVENTS_PER_TRANSACTION}")
        retry_on_conflict = all(a.expected_version is ANY for a in appends)
        for attempt in range(ANY_VERSION_RETRIES):
            try:
                return await self._append_once(appends, payloads, metadata, idempotency)
            except _AlreadyProcessed:
                return None
            except WrongExpectedVersion:
                if not retry_on_conflict or attempt == ANY_VERSION_RETRIES - 1:
                    raise
                await asyncio.sleep(0.001 * (attempt + 1))
        raise AssertionError("unreachable")

    async def _append_once(
        self,
        appends: Sequence[StreamAppend],
        payloads: list[list[str]],
        metadata: Metadata,
        idempotency: Idempotency | None,
    ) -> list[RecordedEvent]:
        stream_ids = list(dict.fromkeys(a.stream_id for a in appends))
        async with self.pool.acquire() as connection, connection.transaction():
            # Reads first: the insert below is the transaction's first write (see module doc).
            current = dict(await connection.fetch(_VERSIONS, stream_ids))
            columns: tuple[list[object], ...] = ([], [], [], [], [], [], [])
            placed: list[tuple[UUID, str, int, Event]] = []
            next_version = {sid: current.get(sid, 0) for sid in stream_ids}
            for append, stream_payloads in zip(appends, payloads, strict=True):
                actual = next_version[append.stream_id]
                if append.expected_version is not ANY and append.expected_version != actual:
                    raise WrongExpectedVersion(append.stream_id, append.expected_version, actual)
                for event, payload, event_id in zip(
                    append.events, stream_payloads, new_event_ids(len(stream_payloads)), strict=True
                ):
                    actual += 1
                    row = (
                        len(placed),
                        event_id,
                        append.stream_id,
                        actual,
                        event.type,
                        event.schema_version,
                        payload,
                    )
                    for column, value in zip(columns, row, strict=True):
                        column.append(value)
                    placed.append((event_id, append.stream_id, actual, event))
                next_version[append.stream_id] = actual
            rows = []
            if placed:
                try:
                    rows = await connection.fetch(_INSERT, *columns, metadata.model_dump_json())
                except asyncpg.UniqueViolationError as error:
                    raise WrongExpectedVersion(
                        _conflicting_stream(error, stream_ids), None, None
                    ) from error
            if idempotency is not None and not await connection.fetchval(
                _MARK_PROCESSED, idempotency.consumer, idempotency.event_id
            ):
                raise _AlreadyProcessed
        return [
            recorded(
                position=row[0],
                event_id=event_id,
                stream_id=stream_id,
                stream_version=version,
                event=event,
                metadata=metadata,
                recorded_at=row[1],
            )
            for row, (event_id, stream_id, version, event) in zip(rows, placed, strict=True)
        ]

    async def read_stream(self, stream_id: str, *, from_version: int = 1) -> list[RecordedEvent]:
        async with self.pool.acquire() as connection:
            rows = await connection.fetch(_READ_STREAM, stream_id, from_version)
        return decode_many([RawEvent(*row) for row in rows])

    async def stream_version(self, stream_id: str) -> int:
        async with self.pool.acquire() as connection:
            current = await connection.fetch(_VERSIONS, [stream_id])
        return int(current[0][1]) if current else 0

    async def read_all_raw(
        self,
        *,
        after: int = 0,
        limit: int = 1000,
        types: Sequence[str] = (),
        connection: asyncpg.Connection | None = None,
    ) -> list[RawEvent]:
        """Events after `after` that no open transaction can still precede; `connection` lets
        a caller read inside its own transaction (projections)."""
        if connection is None:
            async with self.pool.acquire() as acquired:
                return await self.read_all_raw(
                    after=after, limit=limit, types=types, connection=acquired
                )
        if types:
            rows = await connection.fetch(_READ_ALL_TYPES, after, limit, list(types))
        else:
            rows = await connection.fetch(_READ_ALL, after, limit)
        return [RawEvent(*row) for row in rows]

    async def read_all(
        self, *, after: int = 0, limit: int = 1000, types: Sequence[str] = ()
    ) -> list[RecordedEvent]:
        return decode_many(await self.read_all_raw(after=after, limit=limit, types=types))

    async def is_processed(self, consumer: str, event_id: UUID) -> bool:
        async with self.pool.acquire() as connection:
            found = await connection.fetchval(
                "SELECT 1 FROM processed WHERE consumer = $1 AND event_id = $2",
                consumer,
                event_id,
            )
        return found is not None


def _conflicting_stream(error: asyncpg.UniqueViolationError, stream_ids: list[str]) -> str:
    detail = str(getattr(error, "detail", "") or "")
    return next((sid for sid in stream_ids if sid in detail), ", ".join(stream_ids))
