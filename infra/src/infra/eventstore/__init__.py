"""The append-only event store: the port, its PostgreSQL adapter and its in-memory twin."""

from infra.databaseurls import asyncpg_dsn
from infra.eventstore.api import (
    ANY,
    NO_STREAM,
    EventStore,
    Idempotency,
    RawEvent,
    StreamAppend,
)
from infra.eventstore.memory import InMemoryEventStore
from infra.eventstore.postgres import PostgresEventStore

__all__ = [
    "ANY",
    "NO_STREAM",
    "EventStore",
    "Idempotency",
    "InMemoryEventStore",
    "PostgresEventStore",
    "RawEvent",
    "StreamAppend",
    "asyncpg_dsn",
]
