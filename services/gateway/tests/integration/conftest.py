"""The gateway served by uvicorn on a loopback port, over a real PostgreSQL and NATS."""

from __future__ import annotations

import importlib.util
import shutil
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import asyncpg
import httpx
import pytest

from gateway.adapters.api_keys import create_api_key
from gateway.adapters.migrate import upgrade
from gateway.application.ports import PlanValidator, accept_any_plan
from gateway.settings import GatewaySettings
from gateway.testing import ServedGateway, serve_gateway
from infra.eventstore import asyncpg_dsn


def settings_for_tests(**overrides: object) -> GatewaySettings:
    values: dict[str, object] = {
        "auth": "on",
        "feed_heartbeat_seconds": 1.0,
        "completion_poll_seconds": 0.05,
        "upload_max_bytes": 2_000_000,
        "rate_limit_requests": 100_000,
        "key_usage_flush_seconds": 0.2,
    }
    values.update(overrides)
    return GatewaySettings.model_validate(values)


@pytest.fixture
def scratch() -> Iterator[Path]:
    """A folder for servers the test owns: under /tmp and world-traversable, since the embedded
    PostgreSQL runs as `nobody` when root."""
    folder = Path(tempfile.mkdtemp(prefix="recto-gateway-", dir="/tmp"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def gateway_database(database_url: str) -> str:
    """A database with the event store's tables and the gateway's own."""
    upgrade(database_url)
    return database_url


@pytest.fixture
def gateway(gateway_database: str, nats_url: str, tmp_path: Path) -> Iterator[ServedGateway]:
    served = serve_gateway(gateway_database, nats_url, tmp_path / "artifacts", settings_for_tests())
    yield served
    served.stop()


@pytest.fixture
async def pool(gateway_database: str) -> AsyncIterator[asyncpg.Pool]:
    created = await asyncpg.create_pool(asyncpg_dsn(gateway_database), min_size=1, max_size=4)
    yield created
    await created.close()


@dataclass
class Keys:
    admin: str
    write: str
    read: str


@pytest.fixture
async def keys(pool: asyncpg.Pool) -> Keys:
    return Keys(
        admin=await create_api_key(pool, ["admin"]),
        write=await create_api_key(pool, ["write"]),
        read=await create_api_key(pool, ["read"]),
    )


@pytest.fixture
async def client(gateway: ServedGateway, keys: Keys) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        base_url=gateway.url, headers={"X-API-Key": keys.admin}, timeout=10
    ) as created:
        yield created


@pytest.fixture
def start_gateway(
    gateway_database: str, nats_url: str, tmp_path: Path
) -> Iterator[Callable[..., ServedGateway]]:
    """Start more gateways (replicas, other settings) on the same database and artifacts."""
    started: list[ServedGateway] = []

    def start(
        plan_validator: PlanValidator = accept_any_plan,
        nats: str | None = nats_url,
        fetch_allow: str = "",
        **overrides: object,
    ) -> ServedGateway:
        served = serve_gateway(
            gateway_database,
            nats,
            tmp_path / "artifacts",
            settings_for_tests(**overrides),
            plan_validator,
            fetch_allow,
        )
        started.append(served)
        return served

    yield start
    for served in started:
        served.stop()


@pytest.fixture(scope="session")
def kit() -> ModuleType:
    """`service_events.py`: the events ingest, analyzer and exporter would append."""
    path = Path(__file__).with_name("service_events.py")
    spec = importlib.util.spec_from_file_location("gateway_service_events", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def serve_on(tmp_path: Path) -> Iterator[Callable[..., ServedGateway]]:
    """Start gateways on servers the test owns, so it may stop and restart them underneath."""
    started: list[ServedGateway] = []

    def start(database_url: str, nats: str | None, **overrides: object) -> ServedGateway:
        served = serve_gateway(
            database_url, nats, tmp_path / "artifacts", settings_for_tests(**overrides)
        )
        started.append(served)
        return served

    yield start
    for served in started:
        served.stop()
