"""Real PostgreSQL and NATS servers started from their wheels, for the demo and the tests."""

from infra.embedded.nats import EmbeddedNats
from infra.embedded.postgres import EmbeddedPostgres
from infra.embedded.service_user import EmbeddedPostgresError

__all__ = ["EmbeddedNats", "EmbeddedPostgres", "EmbeddedPostgresError"]
