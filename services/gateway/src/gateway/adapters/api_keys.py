"""API keys in PostgreSQL: the key table, a fold of the `api_key.*` events kept in step with
them, and the lookup of a caller's secret by its sha256.

The table is written in the transaction that appends the event, and read on every request
(no cache): a revoked or expired key stops working on every replica at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from uuid import UUID

import asyncpg

from contracts import (
    ApiKeyCreated,
    ApiKeyGrantsChanged,
    ApiKeyRevoked,
    Event,
    Metadata,
    RecordedEvent,
    Scope,
    api_key_stream,
    corpus_stream,
)
from gateway.application.keys import KeyEvent, create_key
from gateway.domain.auth import BOOTSTRAP_ACTOR, Principal, StoredKey
from gateway.domain.keys import Grants, KeyRecord, hash_secret
from infra.eventstore import PostgresEventStore

_CREATED = """
INSERT INTO gw_api_keys (key_hash, key_id, name, scopes, corpora, expires_at, created_at,
                         created_by, version)
VALUES ($1, $2, $3, $4, $5, $6, coalesce($7, now()), $8, $9)
ON CONFLICT (key_id) DO UPDATE SET
    key_hash = excluded.key_hash, name = excluded.name, scopes = excluded.scopes,
    corpora = excluded.corpora, expires_at = excluded.expires_at,
    created_at = excluded.created_at, created_by = excluded.created_by,
    revoked_at = NULL, version = excluded.version
WHERE gw_api_keys.version < excluded.version
"""
_GRANTS_CHANGED = """
UPDATE gw_api_keys SET scopes = $2, corpora = $3, expires_at = $4, version = $5
WHERE key_id = $1 AND version < $5
"""
_REVOKED = """
UPDATE gw_api_keys SET revoked_at = coalesce($2, now()), version = $3
WHERE key_id = $1 AND version < $3
"""
_COLUMNS = (
    "key_id, name, scopes, corpora, expires_at, created_at, created_by, revoked_at,"
    " last_used_at, version"
)
_GET = f"SELECT {_COLUMNS} FROM gw_api_keys WHERE key_id = $1"
_ALL = f"SELECT {_COLUMNS} FROM gw_api_keys ORDER BY created_at DESC, key_id"
_STORED = """
SELECT key_id, name, scopes, corpora, expires_at, revoked_at IS NOT NULL,
       coalesce(expires_at <= now(), false)
FROM gw_api_keys
"""
_FIND = _STORED + "WHERE key_hash = $1"
_BY_ID = _STORED + "WHERE key_id = $1"


async def apply_key_event(
    connection: asyncpg.Connection,
    event: Event,
    *,
    version: int,
    actor: str | None,
    at: datetime | None = None,
) -> None:
    """Fold one event into the key table; an event at or below a row's version changes
    nothing, so replaying the log over the table is safe. `at` None: this transaction's time."""
    if isinstance(event, ApiKeyCreated):
        await connection.execute(
            _CREATED,
            event.key_hash,
            event.key_id,
            event.name,
            event.scopes,
            event.corpora,
            event.expires_at,
            at,
            actor,
            version,
        )
    elif isinstance(event, ApiKeyGrantsChanged):
        await connection.execute(
            _GRANTS_CHANGED, event.key_id, event.scopes, event.corpora, event.expires_at, version
        )
    elif isinstance(event, ApiKeyRevoked):
        await connection.execute(_REVOKED, event.key_id, at, version)


class PostgresKeyRegistry:
    def __init__(self, store: PostgresEventStore) -> None:
        self.store = store

    async def get(self, key_id: str) -> KeyRecord | None:
        row = await self.store.pool.fetchrow(_GET, key_id)
        return _record(row) if row is not None else None

    async def all(self) -> list[KeyRecord]:
        return [_record(row) for row in await self.store.pool.fetch(_ALL)]

    async def unknown_corpora(self, corpora: Sequence[UUID]) -> list[UUID]:
        missing = set(await self.store.missing_streams([corpus_stream(c) for c in corpora]))
        return sorted({c for c in corpora if corpus_stream(c) in missing})

    async def record(self, event: KeyEvent, *, expected_version: int, actor: str) -> KeyRecord:
        async with self.store.pool.acquire() as connection, connection.transaction():
            [appended] = await self.store.append(
                api_key_stream(event.key_id),
                [event],
                expected_version=expected_version,
                metadata=Metadata(actor=actor),
                connection=connection,
            )
            await apply_key_event(connection, event, version=appended.stream_version, actor=actor)
            row = await connection.fetchrow(_GET, event.key_id)
        return _record(row)


class PostgresKeyStore:
    """Finds the key a caller presents, by the sha256 of its secret."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def find(self, secret: str) -> StoredKey | None:
        return _stored(await self.pool.fetchrow(_FIND, hash_secret(secret)))

    async def by_id(self, key_id: str) -> StoredKey | None:
        return _stored(await self.pool.fetchrow(_BY_ID, key_id))


def _stored(row: asyncpg.Record | None) -> StoredKey | None:
    if row is None:
        return None
    key_id, name, scopes, corpora, expires_at, revoked, expired = row
    principal = Principal(
        key_id=key_id,
        scopes=frozenset(scopes),
        corpora=frozenset(corpora) if corpora is not None else None,
        name=name,
        expires_at=expires_at,
    )
    return StoredKey(principal, revoked=revoked, expired=expired, expires_at=expires_at)


class ApiKeyProjection:
    """The key table rebuilt from the log (`recto projections rebuild`). Resetting only forgets
    the rows' versions: every key keeps working while its events are applied again."""

    name = "gateway-api-keys"
    event_types: Sequence[str] = (
        ApiKeyCreated.type,
        ApiKeyGrantsChanged.type,
        ApiKeyRevoked.type,
    )

    async def apply(self, connection: asyncpg.Connection, events: Sequence[RecordedEvent]) -> None:
        for recorded in events:
            await apply_key_event(
                connection,
                recorded.data,
                version=recorded.stream_version,
                actor=recorded.actor,
                at=recorded.occurred_at,
            )

    async def reset(self, connection: asyncpg.Connection) -> None:
        await connection.execute("UPDATE gw_api_keys SET version = 0")


async def create_api_key(
    pool: asyncpg.Pool,
    scopes: Iterable[Scope],
    corpora: Iterable[UUID] | None = None,
    *,
    name: str = BOOTSTRAP_ACTOR,
    expires_at: datetime | None = None,
) -> str:
    """A key made straight in the database (the first admin key has no key to ask the gateway
    with), recorded with the actor `bootstrap`; returns its secret, shown once."""
    grants = Grants.of(list(scopes), list(corpora) if corpora is not None else None, expires_at)
    registry = PostgresKeyRegistry(PostgresEventStore(pool))
    created = await create_key(registry, name, grants, actor=BOOTSTRAP_ACTOR)
    return created.secret


def _record(row: asyncpg.Record) -> KeyRecord:
    corpora = row["corpora"]
    return KeyRecord(
        key_id=row["key_id"],
        name=row["name"],
        grants=Grants.of(
            list(row["scopes"]), list(corpora) if corpora is not None else None, row["expires_at"]
        ),
        created_at=row["created_at"],
        created_by=row["created_by"],
        revoked_at=row["revoked_at"],
        last_used_at=row["last_used_at"],
        version=row["version"],
    )
