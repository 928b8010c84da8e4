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
from dataclasses import dataclass, field
from uuid import UUID

import asyncpg

from contracts import Event, Metadata, RecordedEvent
from contracts.errors import TooManyEventsInTransaction, WrongExpectedVersion
from infra.database import DatabaseAccess
from infra.databaseurls import asyncpg_dsn
from infra.eventstore.api import ANY, Appended, Idempotency, RawEvent, StreamAppend
from infra.eventstore.encoding import decode_many, encode_event
from infra.eventstore.notifications import (
    NOTIFY_IN_TRANSACTION,
    AppendNotifications,
    AppendSignal,
    WakeupSettings,
)
from infra.wakeups import Wakeup

ORDINAL_BITS = 16
MAX_EVENTS_PER_TRANSACTION = 1 << ORDINAL_BITS
ANY_VERSION_RETRIES = 8

_VERSIONS = """
SELECT stream_id, max(stream_version) FROM events
WHERE stream_id = ANY($1::text[]) GROUP BY stream_id
"""
# One statement, one round trip: read the streams' versions, check the expectations, record the
# idempotency key and insert the events. The versions are read from the statement's snapshot,
# before its first write assigns the xid (see the module docstring). A concurrent writer of the
# same stream version makes the insert fail on the unique key: WrongExpectedVersion.
_APPEND = f"""
WITH expected AS (
    SELECT x.stream_id, x.expected,
           coalesce((SELECT max(e.stream_version) FROM events e
                     WHERE e.stream_id = x.stream_id), 0) AS version
    FROM unnest($7::text[], $8::int[]) AS x(stream_id, expected)
), guard AS (
    SELECT coalesce(bool_and(expected < 0 OR expected = version), true) AS ok FROM expected
), recorded AS (
    INSERT INTO processed (consumer, event_id)
    SELECT $10::text, $11::uuid WHERE $10::text IS NOT NULL AND (SELECT ok FROM guard)
    ON CONFLICT DO NOTHING RETURNING 1
), inserted AS (
    INSERT INTO events
        (position, event_id, stream_id, stream_version, type, schema_version, data, metadata)
    SELECT (pg_current_xact_id()::text::bigint << {ORDINAL_BITS}) | u.o, gen_random_uuid(),
           u.s, x.version + u.k, u.t, u.sv, u.d::jsonb, $9::jsonb
    FROM unnest($1::int[], $2::text[], $3::int[], $4::text[], $5::int[], $6::text[])
        AS u(o, s, k, t, sv, d)
    JOIN expected x ON x.stream_id = u.s
    WHERE (SELECT ok FROM guard) AND ($10::text IS NULL OR EXISTS (SELECT 1 FROM recorded))
    RETURNING event_id, stream_version, position
)
SELECT (SELECT ok FROM guard), EXISTS (SELECT 1 FROM recorded),
       array_agg(event_id ORDER BY position), array_agg(stream_version ORDER BY position),
       array_agg(position ORDER BY position)
FROM inserted
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
# One ordered index scan of `(type, position)` per type, merged: at most `limit` rows read per
# type, however many events lie past `after`. A plain `type = ANY(...)` filter lets the planner
# (without statistics, or for a rare type) collect every matching event and sort them all.
_READ_ALL_TYPES = f"""
SELECT {_COLUMNS} FROM unnest($3::text[]) AS wanted(event_type), LATERAL (
    SELECT * FROM events e
    WHERE e.type = wanted.event_type AND e.position > $1 AND e.position < {_HORIZON}
    ORDER BY e.position LIMIT $2
) AS events
ORDER BY position LIMIT $2
"""
_ANY_AFTER = f"""
SELECT EXISTS (
    SELECT 1 FROM events
    WHERE position > $1 AND position < {_HORIZON}
      AND (cardinality($2::text[]) = 0 OR type = ANY($2::text[]))
)
"""
_READABLE_HEAD = f"SELECT coalesce(max(position), 0) FROM events WHERE position < {_HORIZON}"
_FIRST_EVENT = f"SELECT {_COLUMNS} FROM events WHERE stream_id = $1 AND stream_version = 1"
_MISSING_STREAMS = """
SELECT s FROM unnest($1::text[]) AS s
WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.stream_id = s AND e.stream_version = 1)
ORDER BY s
"""
# Counted up to a bound: a projection far behind costs no more to ask about than one close.
_LAG = """
SELECT count(*) FROM (
    SELECT 1 FROM events
    WHERE position > coalesce((SELECT position FROM checkpoints WHERE consumer = $1), 0)
      AND (cardinality($2::text[]) = 0 OR type = ANY($2::text[]))
    LIMIT $3
) AS pending
"""
_READ_STREAM = f"""
SELECT {_COLUMNS} FROM events
WHERE stream_id = $1 AND stream_version >= $2 ORDER BY stream_version
"""


class PostgresEventStore:
    def __init__(
        self,
        pool: asyncpg.Pool,
        notifications: AppendNotifications | None = None,
        sessions: asyncpg.Pool | None = None,
    ) -> None:
        """`sessions`: connections for session-level advisory locks, on the direct URL (see
        `infra.database`); `pool` itself when not given (a pool with asyncpg's reset)."""
        self.pool, self.notifications = pool, notifications
        self.sessions = sessions or pool

    @classmethod
    async def connect(
        cls, database_url: str, *, max_size: int = 10, wakeups: WakeupSettings | None = None
    ) -> PostgresEventStore:
        return await cls.open(DatabaseAccess.plain(database_url, max_size=max_size), wakeups)

    @classmethod
    async def open(
        cls, access: DatabaseAccess, wakeups: WakeupSettings | None = None
    ) -> PostgresEventStore:
        pool = await access.create_pool()
        # Session locks never share the query pool, whose connections are not reset.
        sessions = await access.create_session_pool()
        listener = AppendNotifications(
            asyncpg_dsn(access.direct_url), pool, wakeups or WakeupSettings()
        )
        return cls(pool, listener, sessions)

    async def close(self) -> None:
        if self.notifications is not None:
            await self.notifications.close()
        if self.sessions is not self.pool:
            await self.sessions.close()
        await self.pool.close()

    @property
    def wakeup_settings(self) -> WakeupSettings:
        return self.notifications.settings if self.notifications else WakeupSettings()

    def wakeup(self) -> Wakeup:
        """Wakes its waiter when events may have been appended, in any process (see
        `notifications`); a store without notifications never listens: its tailers poll."""
        if self.notifications is None:
            return AppendSignal(self.wakeup_settings.quiet_seconds).subscribe()
        return self.notifications.subscribe()

    async def ping(self, timeout: float = 2.0) -> None:
        """Raise unless the database answers within `timeout` seconds.

        After a restart of PostgreSQL the pool needs nothing more: asyncpg drops connections
        it finds closed and opens new ones, so the first query after the restart succeeds;
        a connection broken in a way it could not see fails one query and is dropped.
        """
        async with self.pool.acquire(timeout=timeout) as connection:
            await connection.fetchval("SELECT 1", timeout=timeout)

    async def append(
        self,
        stream_id: str,
        events: Sequence[Event],
        *,
        expected_version: int | None = ANY,
        metadata: Metadata | None = None,
        connection: asyncpg.Connection | None = None,
    ) -> list[Appended]:
        result = await self.append_streams(
            [StreamAppend(stream_id, events, expected_version)],
            metadata=metadata,
            connection=connection,
        )
        assert result is not None  # no idempotency record was asked for
        return result

    async def append_streams(
        self,
        appends: Sequence[StreamAppend],
        *,
        metadata: Metadata | None = None,
        idempotency: Idempotency | None = None,
        connection: asyncpg.Connection | None = None,
    ) -> list[Appended] | None:
        """`connection`: append inside the caller's open transaction, so that what the caller
        writes beside the events commits with them or not at all (no retry then: a failed
        statement ends the caller's transaction)."""
        rows = _AppendRows.of(appends)
        parameters = rows.parameters(metadata or Metadata(), idempotency)
        retry_on_conflict = connection is None and all(a.expected_version is ANY for a in appends)
        for attempt in range(ANY_VERSION_RETRIES):
            try:
                if connection is None:
                    async with self.pool.acquire() as acquired:
                        row = await acquired.fetchrow(_APPEND, *parameters)
                else:
                    row = await connection.fetchrow(_APPEND, *parameters)
                ok, recorded, ids, versions, positions = row
                if not ok:
                    raise await self._wrong_version(appends)
                if idempotency is not None and not recorded:
                    return None
                if ids:
                    await self._announce(connection)
                return [
                    Appended(event_id, stream_id, version, position)
                    for event_id, stream_id, version, position in zip(
                        ids or (), rows.stream_ids, versions or (), positions or (), strict=True
                    )
                ]
            except asyncpg.UniqueViolationError as error:
                if not retry_on_conflict or attempt == ANY_VERSION_RETRIES - 1:
                    raise WrongExpectedVersion(
                        _conflicting_stream(error, appends), None, None
                    ) from error
                await asyncio.sleep(0.001 * (attempt + 1))
        raise AssertionError("unreachable")

    async def _announce(self, connection: asyncpg.Connection | None) -> None:
        """Wake the tailers: after the commit for a pool append, in the caller's transaction
        otherwise, since only it knows when it commits."""
        if connection is None and self.notifications is not None:
            self.notifications.appended()
        else:
            await (connection or self.pool).execute(NOTIFY_IN_TRANSACTION)

    async def _wrong_version(self, appends: Sequence[StreamAppend]) -> WrongExpectedVersion:
        async with self.pool.acquire() as connection:
            current = dict(await connection.fetch(_VERSIONS, [a.stream_id for a in appends]))
        for append in appends:
            actual = current.get(append.stream_id, 0)
            if append.expected_version is not ANY and append.expected_version != actual:
                return WrongExpectedVersion(append.stream_id, append.expected_version, actual)
        return WrongExpectedVersion(", ".join(a.stream_id for a in appends), None, None)

    async def read_stream(self, stream_id: str, *, from_version: int = 1) -> list[RecordedEvent]:
        async with self.pool.acquire() as connection:
            rows = await connection.fetch(_READ_STREAM, stream_id, from_version)
        return decode_many([RawEvent(*row) for row in rows])

    async def stream_version(self, stream_id: str) -> int:
        async with self.pool.acquire() as connection:
            current = await connection.fetch(_VERSIONS, [stream_id])
        return int(current[0][1]) if current else 0

    async def head_position(self) -> int:
        """The position of the newest event recorded (0 for an empty store)."""
        async with self.pool.acquire() as connection:
            return int(await connection.fetchval("SELECT coalesce(max(position), 0) FROM events"))

    async def readable_position(self) -> int:
        """The newest position below the read horizon: every event up to it can be read now,
        and none will ever appear before it."""
        async with self.pool.acquire() as connection:
            return int(await connection.fetchval(_READABLE_HEAD))

    async def first_event(self, stream_id: str) -> RawEvent | None:
        """A stream's first event, undecoded (None for a stream with no events)."""
        async with self.pool.acquire() as connection:
            row = await connection.fetchrow(_FIRST_EVENT, stream_id)
        return RawEvent(*row) if row is not None else None

    async def missing_streams(self, stream_ids: Sequence[str]) -> list[str]:
        """Those of `stream_ids` that hold no event, sorted."""
        async with self.pool.acquire() as connection:
            rows = await connection.fetch(_MISSING_STREAMS, list(set(stream_ids)))
        return [row[0] for row in rows]

    async def lag(self, consumer: str, types: Sequence[str] = (), *, at_most: int) -> int:
        """How many recorded events (of `types`; all when empty) lie past `consumer`'s
        checkpoint, counted up to `at_most`."""
        async with self.pool.acquire() as connection:
            return int(await connection.fetchval(_LAG, consumer, list(types), at_most))

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
            rows = await connection.fetch(_READ_ALL_TYPES, after, limit, sorted(set(types)))
        else:
            rows = await connection.fetch(_READ_ALL, after, limit)
        return [RawEvent(*row) for row in rows]

    async def any_after(self, position: int, types: Sequence[str] = ()) -> bool:
        """Whether `read_all_raw(after=position, types=types)` would return anything now."""
        async with self.pool.acquire() as connection:
            return bool(await connection.fetchval(_ANY_AFTER, position, list(types)))

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


@dataclass
class _AppendRows:
    """The statement's arrays: one entry per event, and one per stream with its expectation."""

    stream_ids: list[str] = field(default_factory=list)
    offsets: list[int] = field(default_factory=list)
    types: list[str] = field(default_factory=list)
    versions: list[int] = field(default_factory=list)
    payloads: list[str] = field(default_factory=list)
    expected: dict[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, appends: Sequence[StreamAppend]) -> _AppendRows:
        rows = cls()
        in_stream: dict[str, int] = {}
        for append in appends:
            if append.stream_id in rows.expected and append.expected_version is not ANY:
                raise ValueError(f"{append.stream_id}: one expected version per stream and append")
            rows.expected.setdefault(
                append.stream_id, -1 if append.expected_version is ANY else append.expected_version
            )
            for event in append.events:
                in_stream[append.stream_id] = in_stream.get(append.stream_id, 0) + 1
                rows.stream_ids.append(append.stream_id)
                rows.offsets.append(in_stream[append.stream_id])
                rows.types.append(event.type)
                rows.versions.append(event.schema_version)
                rows.payloads.append(encode_event(event))
        if len(rows.stream_ids) > MAX_EVENTS_PER_TRANSACTION:
            raise TooManyEventsInTransaction(
                f"{len(rows.stream_ids)} events > {MAX_EVENTS_PER_TRANSACTION}"
            )
        return rows

    def parameters(self, metadata: Metadata, idempotency: Idempotency | None) -> list[object]:
        return [
            list(range(len(self.stream_ids))),
            self.stream_ids,
            self.offsets,
            self.types,
            self.versions,
            self.payloads,
            list(self.expected),
            list(self.expected.values()),
            metadata.model_dump_json(),
            idempotency.consumer if idempotency else None,
            idempotency.event_id if idempotency else None,
        ]


def _conflicting_stream(
    error: asyncpg.UniqueViolationError, appends: Sequence[StreamAppend]
) -> str:
    detail = str(getattr(error, "detail", "") or "")
    stream_ids = [a.stream_id for a in appends]
    return next((sid for sid in stream_ids if sid in detail), ", ".join(stream_ids))
