"""Which failures hold work until the database answers, and which are the work's own."""

import asyncpg
import pytest

from infra.messaging.outages import DatabaseOutages, is_broken_connection, may_be_outage


class Database:
    """A probe the test turns on and off; it comes back after `down_for` probes."""

    def __init__(self, down_for: int = 0) -> None:
        self.down_for = down_for
        self.probes = 0

    async def ping(self) -> None:
        self.probes += 1
        if self.probes <= self.down_for:
            raise ConnectionRefusedError("refused")


class Work:
    """Fails with the given errors in turn, then returns "done"."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "done"


def outages(database: Database) -> DatabaseOutages:
    return DatabaseOutages(database.ping, shortest=0.001, longest=0.002)


async def test_work_is_retried_for_as_long_as_the_database_is_away() -> None:
    database = Database(down_for=20)
    calls = 0

    async def query() -> str:
        nonlocal calls
        calls += 1
        await database.ping()  # fails as the database does
        return "done"

    assert await outages(database).outlast(query, "test") == "done"
    assert database.probes > 20
    assert 1 < calls < database.probes, "the work is retried once the database answers"


async def test_a_broken_pooled_connection_gets_one_free_retry_when_the_database_answers() -> None:
    work = Work(asyncpg.ConnectionDoesNotExistError("connection was closed"))
    assert await outages(Database()).outlast(work, "test") == "done"
    assert work.calls == 2


async def test_a_broken_connection_again_and_again_while_the_database_answers_is_raised() -> None:
    work = Work(*[asyncpg.InterfaceError("another operation is in progress")] * 2)
    with pytest.raises(asyncpg.InterfaceError):
        await outages(Database()).outlast(work, "test")
    assert work.calls == 2


async def test_a_timeout_while_the_database_answers_is_the_work_s_own() -> None:
    work = Work(TimeoutError("the engine took too long"))
    with pytest.raises(TimeoutError):
        await outages(Database()).outlast(work, "test")
    assert work.calls == 1


async def test_other_errors_are_raised_without_asking_the_database() -> None:
    database = Database()
    with pytest.raises(ValueError, match="bad page"):
        await outages(database).outlast(Work(ValueError("bad page")), "test")
    assert database.probes == 0


def _wrapped_shutdown() -> RuntimeError:
    try:
        raise asyncpg.AdminShutdownError("terminating connection")
    except asyncpg.PostgresError as error:
        wrapped = RuntimeError("could not load the page")
        wrapped.__cause__ = error
        return wrapped


def test_wrapped_connection_errors_are_recognised() -> None:
    wrapped = _wrapped_shutdown()
    assert is_broken_connection(wrapped)
    assert may_be_outage(wrapped)
    assert not may_be_outage(ValueError("x"))
    assert may_be_outage(OSError("disk full"))
    assert not is_broken_connection(OSError("disk full"))
