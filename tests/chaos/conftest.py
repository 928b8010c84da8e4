"""The chaos suite's stack: see `chaos_support`."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from recto.client import GatewayClient
from recto.stack import running_stack
from recto.stack_settings import StackSettings

from .chaos_support import STACK_ENV, Chaos, Servers


@contextlib.contextmanager
def chaos_stack(extra_env: dict[str, str]) -> Iterator[Chaos]:
    """A stack on servers of its own, with `extra_env` over the suite's settings."""
    root = Path(tempfile.mkdtemp(prefix="recto-chaos-", dir="/tmp"))
    root.chmod(0o755)  # the embedded PostgreSQL runs as nobody when root
    servers = Servers(root / "servers")
    servers.start()
    try:
        with running_stack(
            root / "state",
            analyzers=2,
            extra_env={**STACK_ENV, **extra_env},
            database_url=servers.postgres.url,
            nats_url=servers.nats.url,
            settings=StackSettings(),
        ) as stack:
            client = GatewayClient(stack.gateway_url)
            try:
                yield Chaos(stack, servers, client)
            finally:
                client.close()
    finally:
        servers.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def chaos(request: pytest.FixtureRequest) -> Iterator[Chaos]:
    """The suite's stack; a module may set `CHAOS_ENV` to change its settings."""
    with chaos_stack(getattr(request.module, "CHAOS_ENV", {})) as running:
        yield running
