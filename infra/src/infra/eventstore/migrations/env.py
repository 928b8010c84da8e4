"""Alembic environment of the event store."""

from infra.eventstore.migrate import MIGRATIONS
from infra.eventstore.schema import metadata
from infra.migrations import run_environment

run_environment(MIGRATIONS, metadata=metadata)
