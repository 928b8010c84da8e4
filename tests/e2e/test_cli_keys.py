"""`recto keys`: the first admin key straight from the database, then create, list and revoke
through a running gateway."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from gateway.bootstrap import create_gateway_app
from gateway.settings import GatewaySettings
from infra.embedded.process import free_port
from infra.eventstore import PostgresEventStore
from infra.settings import Settings
from infra.testing.patience import patient

pytestmark = [pytest.mark.e2e]


def recto(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "recto", *args],
        capture_output=True,
        text=True,
        env={**env, "COLUMNS": "250"},
        timeout=120,
        check=False,
    )


@pytest.fixture
def gateway_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    settings = Settings(database_url=database_url, nats_url=None, artifacts=tmp_path / "artifacts")
    app = create_gateway_app(settings, GatewaySettings(auth="on"))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + patient(30)
    while not server.started:
        assert thread.is_alive(), "the gateway stopped while starting"
        assert time.monotonic() < deadline, "the gateway did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(20)


async def key_events(database_url: str) -> list[tuple[str, str, str | None]]:
    store = await PostgresEventStore.connect(database_url, max_size=1)
    try:
        events = await store.read_all(types=["api_key.created", "api_key.revoked"])
    finally:
        await store.close()
    return [(e.type, e.data.key_id, e.actor) for e in events]  # type: ignore[attr-defined]


def test_the_first_admin_key_comes_from_the_database_the_next_ones_from_the_gateway(
    gateway_url: str, database_url: str
) -> None:
    env: dict[str, Any] = {
        **os.environ,
        "RECTO_DATABASE_URL": database_url,
        "RECTO_GATEWAY_URL": gateway_url,
    }
    env.pop("RECTO_API_KEY", None)

    # No key yet: the database route makes one, prints its secret alone on stdout.
    first = recto("keys", "create", "--scope", "admin", env=env)
    assert first.returncode == 0, first.stderr
    admin = first.stdout.strip()
    admin_id = admin.split("_")[1]
    assert f"key {admin_id} created" in first.stderr

    # With it, keys are asked of the gateway; a name is then required.
    env["RECTO_API_KEY"] = admin
    unnamed = recto("keys", "create", "--scope", "read", env=env)
    assert unnamed.returncode != 0
    assert "--name" in unnamed.stderr
    made = recto("keys", "create", "--name", "ci bot", "--scope", "write", env=env)
    assert made.returncode == 0, made.stderr
    bot = made.stdout.strip()
    bot_id = bot.split("_")[1]
    assert httpx.get(f"{gateway_url}/v1/corpora", headers={"X-API-Key": bot}).status_code == 200

    listed = recto("keys", "list", env=env)
    assert listed.returncode == 0, listed.stderr
    assert "ci bot" in listed.stdout
    assert "bootstrap" in listed.stdout
    assert bot not in listed.stdout

    revoked = recto("keys", "revoke", bot_id, "--reason", "rotated", env=env)
    assert revoked.returncode == 0, revoked.stderr
    assert f"key {bot_id} (ci bot) revoked" in revoked.stdout
    assert httpx.get(f"{gateway_url}/v1/corpora", headers={"X-API-Key": bot}).status_code == 401

    # A refusal is one line and a failing exit status, not a traceback.
    refused = recto("keys", "list", env={**env, "RECTO_API_KEY": bot})
    assert refused.returncode == 1
    assert "Unauthorized: this API key was revoked" in refused.stderr
    assert "Traceback" not in refused.stderr
    bad = recto("keys", "create", "--name", "x\ty", "--scope", "read", env=env)
    assert bad.returncode == 1
    assert "U+0009" in bad.stderr

    # The log says who made and revoked each key.
    assert asyncio.run(key_events(database_url)) == [
        ("api_key.created", admin_id, "bootstrap"),
        ("api_key.created", bot_id, f"bootstrap/{admin_id}"),
        ("api_key.revoked", bot_id, f"bootstrap/{admin_id}"),
    ]
