"""Alembic for every service: one way to run a migration environment and to upgrade.

Each service versions its own tables (`alembic_version_<service>`) under an advisory lock of
its own, so replicas starting together migrate once and services never wait on each other.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import anyio
from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, pool, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from infra.locks import AdvisoryLock


def run_environment(
    *, version_table: str, lock: AdvisoryLock, metadata: MetaData | None = None
) -> None:
    """What a service's `env.py` runs: its migrations, on an async engine, under its lock."""

    def run(connection: Connection) -> None:
        context.configure(
            connection=connection, target_metadata=metadata, version_table=version_table
        )
        with context.begin_transaction():
            # Replicas may start together: one migrates, the others wait and find nothing to do.
            connection.execute(text(f"SELECT pg_advisory_xact_lock({lock.value})"))
            context.run_migrations()

    async def run_async() -> None:
        url = context.config.get_main_option("sqlalchemy.url") or ""
        engine = create_async_engine(url, poolclass=pool.NullPool)
        async with engine.connect() as connection:
            await connection.run_sync(run)
        await engine.dispose()

    asyncio.run(run_async())


def upgrade(script_location: Path, database_url: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(script_location))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    command.upgrade(config, "head")


async def upgrade_async(script_location: Path, database_url: str) -> None:
    # Alembic's env.py runs its own event loop, so it needs a thread of its own.
    await anyio.to_thread.run_sync(upgrade, script_location, database_url)
