"""Alembic environment of the gateway's own tables."""

from gateway.adapters.migrate import MIGRATIONS
from infra.migrations import run_environment

run_environment(MIGRATIONS)
