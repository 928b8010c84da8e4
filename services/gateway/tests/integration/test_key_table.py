"""The key table is a fold of the log: keys made before names existed get their event when
the schema is upgraded, and rebuilding the table from the log gives it back as it was."""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

import asyncpg
import pytest
from alembic import command
from alembic.config import Config

from contracts import ApiKeyCreated
from gateway.adapters.api_keys import ApiKeyProjection, PostgresKeyStore, create_api_key
from gateway.adapters.migrate import MIGRATIONS
from infra.eventstore import PostgresEventStore, asyncpg_dsn
from infra.projections import ProjectionRunner

pytestmark = pytest.mark.integration

SNAPSHOT = "SELECT key_id, key_hash, name, scopes, corpora, expires_at, revoked_at FROM gw_api_keys"


def alembic(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS.script_location))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def test_keys_made_before_names_get_a_name_and_their_created_event(gateway_database: str) -> None:
    database_url = gateway_database
    secret = "rk_0badc0ffee00_an-old-secret-from-before"
    config = alembic(database_url)
    command.downgrade(config, "gw0001")

    async def make_an_old_key() -> None:
        connection = await asyncpg.connect(asyncpg_dsn(database_url))
        try:
            await connection.execute(
                "INSERT INTO gw_api_keys (key_hash, key_id, scopes, corpora, created_at)"
                " VALUES ($1, '0badc0ffee00', '{read,write}', NULL, now())",
                hashlib.sha256(secret.encode()).hexdigest(),
            )
        finally:
            await connection.close()

    asyncio.run(make_an_old_key())
    command.upgrade(config, "head")

    async def check() -> None:
        store = await PostgresEventStore.connect(database_url, max_size=2)
        try:
            [created] = await store.read_stream("api_key-0badc0ffee00")
            assert created.actor == "migration"
            assert created.data == ApiKeyCreated(
                key_id="0badc0ffee00",
                name="unnamed 0badc0ffee00",
                scopes=["read", "write"],
                corpora=None,
                expires_at=None,
                key_hash=hashlib.sha256(secret.encode()).hexdigest(),
            )
            found = await PostgresKeyStore(store.pool).find(secret)
            assert found is not None
            assert found.refusal() is None
            assert found.principal.actor == "unnamed 0badc0ffee00/0badc0ffee00"
        finally:
            await store.close()

    asyncio.run(check())


async def test_the_table_rebuilt_from_the_log_is_the_table(
    gateway_database: str, event_store: PostgresEventStore
) -> None:
    pool = event_store.pool
    kept = await create_api_key(pool, ["read"], name="kept")
    gone = await create_api_key(pool, ["admin"], name="gone")
    await pool.execute(
        "UPDATE gw_api_keys SET revoked_at = now() WHERE key_id = $1", gone.split("_")[1]
    )
    # That change was not recorded: the log does not know it, and a rebuild undoes it.
    before: list[Any] = await pool.fetch(SNAPSHOT + " ORDER BY key_id")
    await pool.execute("DELETE FROM gw_api_keys WHERE key_id = $1", kept.split("_")[1])

    applied = await ProjectionRunner(event_store, ApiKeyProjection()).rebuild()

    assert applied == 2
    after = await pool.fetch(SNAPSHOT + " ORDER BY key_id")
    assert [dict(row) for row in after] == [{**dict(row), "revoked_at": None} for row in before]
    assert await PostgresKeyStore(pool).find(kept) is not None
