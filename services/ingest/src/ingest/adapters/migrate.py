"""Bring ingest's own tables to the newest schema; safe to run from every replica at start-up."""

from __future__ import annotations

from pathlib import Path

from infra import migrations

MIGRATIONS = Path(__file__).parent / "migrations"


def upgrade(database_url: str) -> None:
    migrations.upgrade(MIGRATIONS, database_url)


async def upgrade_async(database_url: str) -> None:
    await migrations.upgrade_async(MIGRATIONS, database_url)
