"""Alembic environment of ingest's own tables."""

from infra.migrations import run_environment
from ingest.adapters.migrate import MIGRATIONS

run_environment(MIGRATIONS)
