"""Alembic environment of the gateway's own tables."""

from infra.locks import AdvisoryLock
from infra.migrations import run_environment

run_environment(version_table="alembic_version_gateway", lock=AdvisoryLock.GATEWAY_MIGRATIONS)
