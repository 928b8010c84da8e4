"""Alembic for every service: one way to run a migration environment and to upgrade.

Each service versions its own tables (`alembic_version_<service>`) under an advisory lock of
its own, so replicas starting together migrate once and services never wait on each other.

Every process upgrades at start-up and almost always finds nothing to do, while importing
Alembic and SQLAlchemy costs most of a second of CPU (`bench/startup.py`). So `upgrade_async`
first compares the version table with the heads of the migration files, over one asyncpg
query, and imports Alembic only when they differ: then under the advisory lock, looking again
once it holds it, so replicas starting together on an empty database run Alembic once
between them rather than each. `recto up` goes further: it takes the lock of every set that
is behind before it starts the services, and migrates them all while they import, so only
one process of the stack ever imports Alembic. `upgrade` (`recto migrate`) always runs it.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import anyio
import asyncpg

from infra.databaseurls import asyncpg_dsn
from infra.locks import AdvisoryLock

if TYPE_CHECKING:
    from sqlalchemy import MetaData

LOCK_HELD = "recto_lock_held"
"""Alembic config attribute: the caller holds the advisory lock, on a connection of its own;
the environment must not ask for it again (it would wait for itself)."""


@dataclass(frozen=True)
class Migrations:
    """One set of migrations: its folder (`env.py`, `versions/`), version table and lock."""

    script_location: Path
    version_table: str
    lock: AdvisoryLock
    heads: frozenset[str] = field(init=False)
    """The revisions no other one revises; empty when a file cannot be read without Alembic."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "heads", _heads(self.script_location / "versions"))


def _heads(versions: Path) -> frozenset[str]:
    revisions: set[str] = set()
    revised: set[str] = set()
    for path in versions.glob("*.py"):
        found = _revision_of(path)
        if found is None:
            return frozenset()
        revisions.add(found[0])
        revised.update(found[1])
    return frozenset(revisions - revised)


def _revision_of(path: Path) -> tuple[str, tuple[str, ...]] | None:
    """`revision` and `down_revision` of one migration file, read as literals, not run."""
    values: dict[str, object] = {}
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        else:
            continue
        if isinstance(target, ast.Name) and target.id in ("revision", "down_revision"):
            try:
                values[target.id] = ast.literal_eval(value)
            except ValueError:
                return None
    revision, down = values.get("revision"), values.get("down_revision")
    if not isinstance(revision, str):
        return None
    if down is None:
        return revision, ()
    if isinstance(down, str):
        return revision, (down,)
    if isinstance(down, tuple | list) and all(isinstance(d, str) for d in down):
        return revision, tuple(down)
    return None


def run_environment(migrations: Migrations, *, metadata: MetaData | None = None) -> None:
    """What a service's `env.py` runs: its migrations, on an async engine, under its lock."""
    import asyncio

    from alembic import context
    from sqlalchemy import pool, text
    from sqlalchemy.engine import Connection
    from sqlalchemy.ext.asyncio import create_async_engine

    lock_held = bool(context.config.attributes.get(LOCK_HELD))

    def run(connection: Connection) -> None:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            version_table=migrations.version_table,
        )
        with context.begin_transaction():
            if not lock_held:
                # Replicas may start together: one migrates, the others wait, find nothing.
                connection.execute(text(f"SELECT pg_advisory_xact_lock({migrations.lock.value})"))
            context.run_migrations()

    async def run_async() -> None:
        url = context.config.get_main_option("sqlalchemy.url") or ""
        engine = create_async_engine(url, poolclass=pool.NullPool)
        async with engine.connect() as connection:
            await connection.run_sync(run)
        await engine.dispose()

    asyncio.run(run_async())


def upgrade(migrations: Migrations, database_url: str, *, lock_held: bool = False) -> None:
    """Alembic's `upgrade head`, whatever the version table says."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(migrations.script_location))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    config.attributes[LOCK_HELD] = lock_held
    command.upgrade(config, "head")


async def upgrade_async(migrations: Migrations, database_url: str) -> None:
    """Upgrade to the heads, running Alembic only when the database is not there yet."""
    await upgrade_many_async([migrations], database_url)


async def upgrade_many_async(
    sets: Sequence[Migrations], database_url: str, *, locked: Callable[[], None] = lambda: None
) -> None:
    """Upgrade several sets, first taking the lock of every one that is behind.

    `locked` is called once, when those locks are held (or the attempt failed): processes
    that start from then on wait for each lock and find their tables ready, without importing
    Alembic.
    """
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    told = False
    try:
        behind = []
        for migrations in sets:
            if not await _at_heads(connection, migrations):
                await connection.execute("SELECT pg_advisory_lock($1)", migrations.lock.value)
                behind.append(migrations)
        told = True
        locked()
        for migrations in behind:
            # Looked at again under the lock: another process may have migrated meanwhile.
            if not await _at_heads(connection, migrations):
                # Alembic's env.py runs its own event loop, so it needs a thread of its own.
                await anyio.to_thread.run_sync(
                    partial(upgrade, migrations, database_url, lock_held=True)
                )
            await connection.execute("SELECT pg_advisory_unlock($1)", migrations.lock.value)
    finally:
        if not told:
            locked()
        await connection.close()  # and with it any lock still held


async def _at_heads(connection: asyncpg.Connection, migrations: Migrations) -> bool:
    if not migrations.heads:
        return False
    try:
        rows = await connection.fetch(f"SELECT version_num FROM {migrations.version_table}")
    except asyncpg.UndefinedTableError:
        return False
    return {row["version_num"] for row in rows} == migrations.heads
