"""Bring ingest's own tables to the newest schema; safe to run from every replica at start-up."""

from __future__ import annotations

from pathlib import Path

from infra import migrations
from infra.locks import AdvisoryLock

MIGRATIONS = migrations.Migrations(
    Path(__file__).parent / "migrations", "alembic_version_ingest", AdvisoryLock.INGEST_MIGRATIONS
)


def upgrade(database_url: str) -> None:
    migrations.upgrade(MIGRATIONS, database_url)


async def upgrade_async(database_url: str) -> None:
    await migrations.upgrade_async(MIGRATIONS, database_url)
