"""One migrated template database per test session, cloned for each test in milliseconds."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from typing import TypeVar
from urllib.parse import urlsplit, urlunsplit
from uuid import uuid4

import asyncpg

from infra.eventstore import asyncpg_dsn
from infra.eventstore.migrate import upgrade

T = TypeVar("T")


def run_in_fresh_loop(make: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine from synchronous fixture code, whatever loop the caller may be in."""
    result: list[T] = []
    errors: list[BaseException] = []

    def target() -> None:
        try:
            result.append(asyncio.run(_wrap(make)))
        except BaseException as error:
            errors.append(error)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
    return result[0]


async def _wrap(make: Callable[[], Awaitable[T]]) -> T:
    return await make()


def with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{database}"))


async def _execute(admin_url: str, statement: str) -> None:
    connection = await asyncpg.connect(asyncpg_dsn(admin_url))
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def create_database(admin_url: str, prefix: str = "recto_empty") -> str:
    """An empty database (no tables), named `<prefix>_<random>`."""
    name = f"{prefix}_{uuid4().hex[:10]}"
    run_in_fresh_loop(lambda: _execute(admin_url, f'CREATE DATABASE "{name}"'))
    return name


def create_template(admin_url: str) -> str:
    name = create_database(admin_url, "recto_template")
    upgrade(with_database(admin_url, name))
    return name


def clone_database(admin_url: str, template: str) -> str:
    name = f"recto_test_{uuid4().hex[:12]}"
    run_in_fresh_loop(
        lambda: _execute(admin_url, f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    )
    return name


def drop_database(admin_url: str, name: str) -> None:
    run_in_fresh_loop(lambda: _execute(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
