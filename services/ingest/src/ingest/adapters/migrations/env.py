"""Alembic environment of ingest's own tables."""

from infra.locks import AdvisoryLock
from infra.migrations import run_environment

run_environment(version_table="alembic_version_ingest", lock=AdvisoryLock.INGEST_MIGRATIONS)
