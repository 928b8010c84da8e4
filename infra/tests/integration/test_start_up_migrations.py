"""Upgrading at start-up: Alembic only when the database is behind, and once between processes
that start together (the others wait for the advisory lock and find the tables ready)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time

import anyio
import asyncpg
import pytest

from infra.eventstore import asyncpg_dsn
from infra.eventstore.migrate import MIGRATIONS
from infra.migrations import upgrade, upgrade_async, upgrade_many_async

pytestmark = pytest.mark.integration

# Prints which of Alembic and SQLAlchemy the upgrade imported.
UPGRADE_AND_TELL = """
import asyncio, sys
from infra.eventstore.migrate import upgrade_async
asyncio.run(upgrade_async(sys.argv[1]))
print(sorted(m for m in ("alembic", "sqlalchemy") if m in sys.modules))
"""
LIMIT_SECONDS = 120.0  # a patient limit for a loaded machine: the test waits on conditions


def upgrade_in_a_process(database_url: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", UPGRADE_AND_TELL, database_url],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def imported(process: subprocess.Popen[str]) -> str:
    out, err = process.communicate(timeout=LIMIT_SECONDS)
    assert process.returncode == 0, err
    return out.strip()


async def version(database_url: str) -> set[str]:
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        rows = await connection.fetch(f"SELECT version_num FROM {MIGRATIONS.version_table}")
        return {row["version_num"] for row in rows}
    finally:
        await connection.close()


def test_a_database_at_its_heads_is_not_handed_to_alembic(database_url: str) -> None:
    assert imported(upgrade_in_a_process(database_url)) == "[]"


def test_an_empty_database_is(empty_database_url: str) -> None:
    assert imported(upgrade_in_a_process(empty_database_url)) == "['alembic', 'sqlalchemy']"
    assert asyncio.run(version(empty_database_url)) == set(MIGRATIONS.heads)


async def test_a_process_that_waited_for_the_lock_finds_the_tables_ready(
    empty_database_url: str,
) -> None:
    holder = await asyncpg.connect(asyncpg_dsn(empty_database_url))
    try:
        await holder.execute("SELECT pg_advisory_lock($1)", MIGRATIONS.lock.value)
        process = upgrade_in_a_process(empty_database_url)
        deadline = time.monotonic() + LIMIT_SECONDS
        waiting = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
        while not await holder.fetchval(waiting):
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the process never waited for the lock"
            await asyncio.sleep(0.05)
        await anyio.to_thread.run_sync(
            lambda: upgrade(MIGRATIONS, empty_database_url, lock_held=True)
        )
        await holder.execute("SELECT pg_advisory_unlock($1)", MIGRATIONS.lock.value)
        assert await anyio.to_thread.run_sync(imported, process) == "[]"
    finally:
        await holder.close()


async def test_processes_upgrading_together_all_end_at_the_heads(empty_database_url: str) -> None:
    locked: list[int] = []
    await asyncio.gather(
        upgrade_async(MIGRATIONS, empty_database_url),
        upgrade_many_async([MIGRATIONS], empty_database_url, locked=lambda: locked.append(1)),
        upgrade_many_async([MIGRATIONS], empty_database_url),
    )

    assert await version(empty_database_url) == set(MIGRATIONS.heads)
    assert locked == [1]
