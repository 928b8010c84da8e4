"""Telling a dependency's outage from a failure of the work itself.

A database that went away is nobody's message's fault: retrying must not spend the message's
`max_deliver` attempts nor end in a terminal failure event. Errors are only suspects, though:
an `OSError` may be a full disk and a timeout may be a slow engine, so the consumer runtime
asks the database itself before treating a suspect as an outage.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import TypeVar

import asyncpg

from infra.messaging.backoff import Backoff

log = logging.getLogger(__name__)
T = TypeVar("T")

BROKEN_CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    asyncpg.PostgresConnectionError,  # SQLSTATE class 08, e.g. ConnectionDoesNotExistError
    asyncpg.InterfaceError,  # the connection was closed under the query
    asyncpg.CannotConnectNowError,  # starting up or shutting down
    asyncpg.AdminShutdownError,  # "terminating connection due to administrator command"
    asyncpg.CrashShutdownError,
    asyncpg.TooManyConnectionsError,
)


def _chain(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def is_broken_connection(error: BaseException) -> bool:
    """An asyncpg connection error here or among its causes (handlers may wrap errors)."""
    return any(isinstance(e, BROKEN_CONNECTION_ERRORS) for e in _chain(error))


def may_be_outage(error: BaseException) -> bool:
    """Worth asking the database whether it is there: a broken connection, or any OSError
    (refused, reset, unreachable, timed out) raised by the work."""
    return isinstance(error, OSError) or is_broken_connection(error)


class DatabaseOutages:
    """Runs work again, after capped jittered waits, for as long as the database is away.

    `probe` raises unless the database answers. When a suspect error comes while the database
    answers, the error is the work's own and is raised — after one free retry if it was a broken
    connection, since the pool may still hold connections from before a restart.
    """

    def __init__(
        self,
        probe: Callable[[], Awaitable[object]] | None,
        *,
        shortest: float = 0.5,
        longest: float = 15.0,
    ) -> None:
        self.probe = probe
        self.shortest, self.longest = shortest, longest

    async def answers(self) -> bool:
        if self.probe is None:
            return True
        try:
            await self.probe()
        except Exception:
            return False
        return True

    async def outlast(self, work: Callable[[], Awaitable[T]], what: str) -> T:
        free_retry = True
        while True:
            try:
                return await work()
            except Exception as error:
                if not may_be_outage(error):
                    raise
                if await self.answers():
                    if not (free_retry and is_broken_connection(error)):
                        raise
                    free_retry = False
                    continue
                await self._wait_until_answering(error, what)
                free_retry = True

    async def _wait_until_answering(self, error: Exception, what: str) -> None:
        log.warning(
            "database unreachable: %s waits for it", what, extra={"error": _describe(error)}
        )
        backoff = Backoff(self.shortest, self.longest)
        started = time.monotonic()
        while True:
            await backoff.wait()
            if await self.answers():
                log.info(
                    "database answers again: %s resumes",
                    what,
                    extra={"waited_seconds": round(time.monotonic() - started, 1)},
                )
                return


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"
