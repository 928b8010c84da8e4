"""Where read-model queries run: a streaming replica while it is fresh enough, else the primary.

The read models and their projection's checkpoint change in one transaction, and a physical
replica replays whole transactions, so the checkpoint row as replicated says how far the
replica's read models have got. A measurement, at most every `check_seconds`, compares it with
the primary's: the replica serves while the primary's read models hold at most `events` events
(of the projection's types) it lacks, the oldest recorded no more than `seconds` ago. A
replica that is unreachable, lagging, or fails a query (a hot standby cancels queries that
conflict with replay) sends reads to the primary until the next measurement; between two
measurements it may fall behind by what one interval lets through.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, TypeVar

import asyncpg

from gateway.adapters.outages import database_unreachable, describe
from infra.database import QueryConnection
from infra.databaseurls import asyncpg_dsn

T = TypeVar("T")
Source = Literal["primary", "replica"]
Work = Callable[[asyncpg.Connection], Awaitable[T]]

_APPLIED = "SELECT position FROM checkpoints WHERE consumer = $1"
# What the primary's read models hold that the replica's lack: counted up to the bound, with
# the age of the oldest, in one round trip.
_MISSING = """
WITH applied AS (
    SELECT coalesce((SELECT position FROM checkpoints WHERE consumer = $1), 0) AS position
), missing AS (
    SELECT e.recorded_at FROM events e
    WHERE e.position > $2 AND e.position <= (SELECT position FROM applied)
      AND (cardinality($3::text[]) = 0 OR e.type = ANY($3::text[]))
    ORDER BY e.position LIMIT $4
)
SELECT (SELECT position FROM applied), count(*),
       coalesce(extract(epoch FROM now() - min(recorded_at)), 0)::float8
FROM missing
"""


@dataclass(frozen=True)
class StalenessBound:
    events: int
    seconds: float

    def __str__(self) -> str:
        return f"bound {self.events} events, {self.seconds:g} s"


@dataclass(frozen=True)
class Routing:
    """Where reads go now, and why."""

    source: Source
    detail: str
    lag_events: int | None = None
    lag_seconds: float | None = None


class ReadConnections(Protocol):
    """The port `ReadModels` runs its queries through."""

    async def read(self, work: Work[T]) -> T: ...
    async def routing(self) -> Routing: ...


class PrimaryReads:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def read(self, work: Work[T]) -> T:
        async with self.pool.acquire() as connection:
            return await work(connection)

    async def routing(self) -> Routing:
        return Routing("primary", "primary: no read replica configured")


class ReplicaReads:
    def __init__(
        self,
        primary: asyncpg.Pool,
        replica: asyncpg.Pool,
        projection: str,
        projection_types: Sequence[str],
        bound: StalenessBound,
        *,
        check_seconds: float,
        timeout_seconds: float,
        served: Callable[[Source], None] = lambda _: None,
    ) -> None:
        """`served` is told where each read ran (for metrics)."""
        self.primary, self.replica = primary, replica
        self.projection, self.types = projection, list(projection_types)
        self.bound, self.check_seconds, self.timeout = bound, check_seconds, timeout_seconds
        self.served = served
        self._routing = Routing("primary", "primary: replica not measured yet")
        self._next_check = 0.0
        self._measuring = asyncio.Lock()

    async def close(self) -> None:
        await self.replica.close()

    async def read(self, work: Work[T]) -> T:
        if (await self.routing()).source == "replica":
            try:
                async with self.replica.acquire(timeout=self.timeout) as connection:
                    result = await work(connection)
            except Exception as error:
                if not _replica_failed(error):
                    raise
                self._routing = Routing("primary", f"primary: replica failed ({describe(error)})")
            else:
                self.served("replica")
                return result
        async with self.primary.acquire() as connection:
            result = await work(connection)
        self.served("primary")
        return result

    async def routing(self) -> Routing:
        """Where reads go, measured again when the last measurement is `check_seconds` old."""
        if time.monotonic() >= self._next_check:
            async with self._measuring:  # one measurement for every request that waits on it
                if time.monotonic() >= self._next_check:
                    self._routing = await self._measure()
                    self._next_check = time.monotonic() + self.check_seconds
        return self._routing

    async def _measure(self) -> Routing:
        try:
            async with asyncio.timeout(self.timeout):
                applied = await self.replica.fetchval(_APPLIED, self.projection)
        except Exception as error:
            return Routing("primary", f"primary: replica unreachable ({describe(error)})")
        replica_position = int(applied or 0)
        try:
            async with asyncio.timeout(self.timeout):
                primary_position, lag, seconds = await self.primary.fetchrow(
                    _MISSING, self.projection, replica_position, self.types, self.bound.events + 1
                )
        except Exception as error:
            return Routing("primary", f"primary: replica lag unknown ({describe(error)})")
        if replica_position > primary_position:
            # Read after the replica's, the primary's checkpoint cannot be behind it unless the
            # read models are being rebuilt, or the replica is some other database's.
            return Routing("primary", "primary: replica ahead of the primary's read models")
        fresh = lag <= self.bound.events and seconds <= self.bound.seconds
        count = f"{lag} events" if lag <= self.bound.events else f"over {self.bound.events} events"
        behind = f"replica {count}, {seconds:.1f} s behind ({self.bound})"
        source: Source = "replica" if fresh else "primary"
        return Routing(source, f"{source}: {behind}", lag, seconds)


def _replica_failed(error: BaseException) -> bool:
    """Failures of the replica, not of the query: unreachable, closed under the query, or the
    query cancelled for a conflict with recovery."""
    return database_unreachable(error) or isinstance(
        error, asyncpg.SerializationError | asyncpg.InterfaceError
    )


async def open_replica_pool(url: str, *, max_size: int, timeout_seconds: float) -> asyncpg.Pool:
    """Connections open on demand: a replica down at start-up only sends reads to the primary."""
    return await asyncpg.create_pool(
        asyncpg_dsn(url),
        min_size=0,
        max_size=max_size,
        timeout=timeout_seconds,
        connection_class=QueryConnection,  # reads only: nothing to reset
    )
