"""Alembic environment of the event store."""

from infra.eventstore.schema import metadata
from infra.locks import AdvisoryLock
from infra.migrations import run_environment

run_environment(
    version_table="alembic_version", lock=AdvisoryLock.EVENT_STORE_MIGRATIONS, metadata=metadata
)
