"""How a process reaches PostgreSQL: pool sizes, the statement cache, and the direct connection.

Queries (appends, reads, checkpoints, projections) may go through a pooler such as PgBouncer in
transaction mode: each is one statement or one transaction. Three things need a session that
stays on one server connection, so they use the direct URL (PostgreSQL itself, or a
session-mode pool): `LISTEN` for append wake-ups, the session-level advisory locks that elect
the relay, the stall sweeper and the watch scheduler, and migrations (DDL, and SQLAlchemy's
named prepared statements). Without a direct URL, all of them use the one URL, as on one host.

Behind PgBouncer older than 1.21 (or with `max_prepared_statements = 0`) asyncpg's named
prepared statements land on server connections other clients then share: a statement cache
size of 0 makes asyncpg parse each statement in the same round trip that runs it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import asyncpg

from infra.databaseurls import asyncpg_dsn

if TYPE_CHECKING:
    from infra.settings import Settings


class QueryConnection(asyncpg.Connection):  # type: ignore[misc]  # asyncpg is untyped
    """A query pool's connection: released without asyncpg's reset query.

    The reset (`pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL`) is one more
    round trip per release, about a tenth of the gateway's busy time under load. Query
    connections hold no session state to reset: session locks, `LISTEN` and migrations have
    connections of their own (`create_session_pool`, the listener, migrations), as a
    transaction-mode pooler needs anyway. An open transaction is still rolled back."""

    def get_reset_query(self) -> str:
        return ""


@dataclass(frozen=True)
class DatabaseAccess:
    url: str
    """Queries; may be a transaction-mode pooler."""
    direct_url: str
    """`LISTEN`, session advisory locks and migrations: never a transaction-mode pooler."""
    min_size: int = 1
    max_size: int = 10
    statement_cache_size: int = 100
    session_pool_max: int = 2
    """Connections on the direct URL for session locks (the listener has one more)."""
    listen: bool = True

    @classmethod
    def plain(cls, database_url: str, *, max_size: int = 10) -> DatabaseAccess:
        """One URL for everything, asyncpg's defaults: PostgreSQL without a pooler."""
        return cls(database_url, database_url, max_size=max_size)

    @classmethod
    def of(cls, settings: Settings, *, max_size: int) -> DatabaseAccess:
        """From the settings; `max_size`: this kind of process's pool size unless
        RECTO_DATABASE_POOL_MAX says otherwise."""
        url = settings.required_database_url()
        return cls(
            url=url,
            direct_url=settings.database_direct_url or url,
            min_size=settings.database_pool_min,
            max_size=settings.database_pool_max or max_size,
            statement_cache_size=settings.database_statement_cache_size,
            session_pool_max=settings.database_session_pool_max,
            listen=settings.database_listen,
        )

    async def create_pool(self) -> asyncpg.Pool:
        return await asyncpg.create_pool(
            asyncpg_dsn(self.url),
            min_size=min(self.min_size, self.max_size),
            max_size=self.max_size,
            statement_cache_size=self.statement_cache_size,
            connection_class=QueryConnection,
        )

    async def create_session_pool(self) -> asyncpg.Pool:
        """Opened on demand (min 0): a process that takes no session lock opens none."""
        return await asyncpg.create_pool(
            asyncpg_dsn(self.direct_url), min_size=0, max_size=self.session_pool_max
        )
