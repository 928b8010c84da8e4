"""The query pool's connections go back without asyncpg's reset round trip, and session locks
never land on them (they would outlive their holder there, unreset)."""

from __future__ import annotations

import pytest

from infra.database import DatabaseAccess
from infra.eventstore import PostgresEventStore
from infra.locks import AdvisoryLock

pytestmark = pytest.mark.integration

_LAST_QUERY = "SELECT state, query FROM pg_stat_activity WHERE pid = $1"


async def test_a_released_query_connection_is_not_reset_but_its_transaction_ends(
    database_url: str,
) -> None:
    store = await PostgresEventStore.open(DatabaseAccess.plain(database_url, max_size=1))
    try:
        async with store.pool.acquire() as connection:
            pid = await connection.fetchval("SELECT pg_backend_pid() AS marker")
        async with store.sessions.acquire() as observer:
            state, query = await observer.fetchrow(_LAST_QUERY, pid)
        # The server's last statement from that connection is ours, not a reset query.
        assert (state, query) == ("idle", "SELECT pg_backend_pid() AS marker")

        async with store.pool.acquire() as connection:
            await connection.execute("BEGIN")  # left open by a careless caller
        async with store.pool.acquire() as connection:
            assert await connection.fetchval("SELECT pg_backend_pid()") == pid
            assert not connection.is_in_transaction()
    finally:
        await store.close()


async def test_session_locks_are_taken_beside_the_query_pool(database_url: str) -> None:
    store = await PostgresEventStore.open(DatabaseAccess.plain(database_url, max_size=2))
    try:
        assert store.sessions is not store.pool
        async with store.sessions.acquire() as session:
            assert await session.fetchval("SELECT pg_try_advisory_lock($1)", AdvisoryLock.RELAY)
        # Released without an unlock: the session pool's reset lets the lock go.
        async with store.pool.acquire() as connection:
            assert await connection.fetchval(
                "SELECT pg_try_advisory_xact_lock($1)", AdvisoryLock.RELAY
            )
    finally:
        await store.close()
