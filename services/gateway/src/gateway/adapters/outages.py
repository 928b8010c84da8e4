"""Tell an unreachable PostgreSQL (a 503, retry later) from a bug (a 500).

asyncpg's pool drops a connection that broke and opens a new one at the next acquire, so
nothing needs resetting when the server comes back: the request that met the outage fails,
the next one after it succeeds.
"""

from __future__ import annotations

import errno
import socket

import asyncpg

DATABASE_OUTAGE_ERRORS: tuple[type[Exception], ...] = (
    OSError,  # refused, reset, timed out, unreachable host: the socket itself failed
    asyncpg.PostgresConnectionError,  # SQLSTATE class 08, and a connection lost mid-query
    asyncpg.exceptions.OperatorInterventionError,  # class 57: shutting down, starting up
    asyncpg.exceptions.InsufficientResourcesError,  # class 53: too many connections, disk full
)
_UNREACHABLE = frozenset(
    {errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EHOSTDOWN, errno.ENETDOWN, errno.EPIPE}
)


def database_unreachable(error: BaseException) -> bool:
    """Whether `error`, or what caused it, says the database cannot be reached right now."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if _is_outage(current):
            return True
        current = current.__cause__ or current.__context__
    return False


def _is_outage(error: BaseException) -> bool:
    if getattr(error, "connection_invalidated", False):  # SQLAlchemy's DBAPIError
        return True
    if isinstance(error, ConnectionError | TimeoutError | socket.gaierror):
        return True
    if isinstance(error, OSError):
        return error.errno in _UNREACHABLE
    return isinstance(error, DATABASE_OUTAGE_ERRORS)


def describe(error: BaseException) -> str:
    text = str(error).strip()
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
