"""The chaos suite's stack: see `chaos_support`."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from recto.client import GatewayClient
from recto.stack import running_stack
from recto.stack_settings import StackSettings

from .chaos_support import STACK_ENV, Chaos, Servers


@pytest.fixture(scope="module")
def chaos() -> Iterator[Chaos]:
    root = Path(tempfile.mkdtemp(prefix="recto-chaos-", dir="/tmp"))
    root.chmod(0o755)  # the embedded PostgreSQL runs as nobody when root
    servers = Servers(root / "servers")
    servers.start()
    try:
        with running_stack(
            root / "state",
            analyzers=2,
            extra_env=STACK_ENV,
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
