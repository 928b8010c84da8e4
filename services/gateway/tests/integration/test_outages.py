"""PostgreSQL or NATS goes away under a running gateway, then comes back.

Each test owns its server (same port, same data folder across the restart), so stopping it
disturbs no other test. While the database is down, every request that needs it is a 503
problem with `Retry-After` and `/readyz` names what is down; once it is back, both recover by
themselves, without restarting the gateway.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from infra.embedded import EmbeddedNats, EmbeddedPostgres
from infra.testing.pipeline import eventually

pytestmark = pytest.mark.integration
PROBLEM = "application/problem+json"
RECOVERY = 60.0  # generous: a restarted server on a loaded machine


@pytest.fixture
def own_postgres(scratch: Path) -> Iterator[EmbeddedPostgres]:
    server = EmbeddedPostgres(scratch / "pg", durable=False).start()
    yield server
    server.stop()


@pytest.fixture
def own_nats(scratch: Path) -> Iterator[EmbeddedNats]:
    server = EmbeddedNats(scratch / "nats").start()
    yield server
    server.stop()


def assert_unavailable(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == PROBLEM
    assert int(response.headers["retry-after"]) >= 1
    problem: dict[str, Any] = response.json()
    assert (problem["status"], problem["type"]) == (503, "https://recto.dev/problems/unavailable")
    return problem


async def test_a_database_outage_is_503_then_the_gateway_recovers_by_itself(
    own_postgres: EmbeddedPostgres, nats_url: str, serve_on: Any
) -> None:
    served = serve_on(own_postgres.url, nats_url, auth="off")
    async with httpx.AsyncClient(base_url=served.url, timeout=30) as client:
        created = await client.post("/v1/corpora", json={"slug": "before", "title": "B"})
        assert created.status_code == 202
        assert (await client.get("/readyz")).status_code == 200

        own_postgres.stop()
        # Reads, commands and readiness all say so, and nothing is a 500.
        for response in (
            await client.get("/v1/corpora"),
            await client.get(f"/v1/corpora/{created.json()['id']}"),
            await client.get("/v1/events"),
            await client.post("/v1/corpora", json={"slug": "during", "title": "D"}),
        ):
            assert_unavailable(response)
        ready = assert_unavailable(await client.get("/readyz"))
        assert ready["detail"].startswith("not ready: database unreachable")
        assert ready["checks"]["database"].startswith("database unreachable")
        assert ready["checks"]["nats"] == "NATS connected, JetStream answers"
        assert (await client.get("/healthz")).status_code == 200  # alive, not ready

        own_postgres.start()  # same port, same data folder

        async def recovered() -> bool:
            listing = await client.get("/v1/corpora")
            ready = await client.get("/readyz")
            return listing.status_code == 200 and ready.status_code == 200

        await eventually(recovered, timeout=RECOVERY, every=0.2)
        after = await client.post("/v1/corpora", json={"slug": "after", "title": "A"})
        assert after.status_code == 202, after.text


async def test_readiness_follows_the_nats_connection_down_and_back(
    gateway_database: str, own_nats: EmbeddedNats, serve_on: Any
) -> None:
    served = serve_on(gateway_database, own_nats.url, auth="off", nats_reconnect_seconds=0.2)
    async with httpx.AsyncClient(base_url=served.url, timeout=30) as client:

        async def status() -> int:
            return (await client.get("/readyz")).status_code

        async def ready() -> bool:
            return await status() == 200

        async def not_ready() -> bool:
            return await status() == 503

        await eventually(ready, timeout=RECOVERY, every=0.1)
        own_nats.stop()
        await eventually(not_ready, timeout=RECOVERY, every=0.1)
        problem = assert_unavailable(await client.get("/readyz"))
        assert problem["detail"].startswith("not ready: NATS unreachable")
        assert problem["checks"]["database"] == "database answers"
        # Only readiness depends on NATS: the API keeps answering from the database.
        assert (await client.get("/v1/corpora")).status_code == 200

        own_nats.start()  # same port
        await eventually(ready, timeout=RECOVERY, every=0.1)
