"""Alembic environment of the exporter's own tables."""

from exporter.adapters.migrate import MIGRATIONS
from infra.migrations import run_environment

run_environment(MIGRATIONS)
