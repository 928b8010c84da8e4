"""Bring ingest's own tables to the newest schema; safe to run from every replica at start-up."""

from __future__ import annotations

from pathlib import Path

import anyio
from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"


def upgrade(database_url: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    command.upgrade(config, "head")


async def upgrade_async(database_url: str) -> None:
    # Alembic's env.py runs its own event loop, so it needs a thread of its own.
    await anyio.to_thread.run_sync(upgrade, database_url)
