"""Alembic environment of the exporter's own tables."""

from infra.locks import AdvisoryLock
from infra.migrations import run_environment

run_environment(version_table="alembic_version_exporter", lock=AdvisoryLock.EXPORTER_MIGRATIONS)
