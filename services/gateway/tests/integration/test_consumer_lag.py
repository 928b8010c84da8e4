"""`GET /v1/consumers`: each durable consumer's lag, read from a real JetStream; readiness
against a list of NATS servers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import httpx
import nats
import pytest
from nats.js import JetStreamContext

from contracts.subjects import event_subject, events_stream
from infra.messaging.provisioning import ensure_consumer, ensure_streams

from .conftest import Keys, ServedGateway

pytestmark = pytest.mark.integration


@pytest.fixture
async def js(nats_url: str, nats_prefix: str) -> AsyncIterator[JetStreamContext]:
    client = await nats.connect(nats_url)
    await ensure_streams(client.jetstream(), nats_prefix)
    yield client.jetstream()
    await client.close()


@pytest.fixture
def lag_gateway(
    start_gateway: Callable[..., ServedGateway], nats_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> ServedGateway:
    # The gateway reads the stream of this test's own prefix.
    monkeypatch.setenv("RECTO_NATS_PREFIX", nats_prefix)
    return start_gateway()


async def test_each_durable_consumer_reports_its_backlog_and_work_in_progress(
    js: JetStreamContext, nats_prefix: str, lag_gateway: ServedGateway, keys: Keys
) -> None:
    # An analyzer consumer with three pages waiting and one event it does not want.
    await ensure_consumer(
        js, nats_prefix, "analyzer", ["page.image_normalized"], max_deliver=5, ack_wait=30
    )
    await ensure_consumer(
        js, nats_prefix, "exporter", ["page.analyzed"], max_deliver=5, ack_wait=30
    )
    for _ in range(3):
        await js.publish(event_subject(nats_prefix, "page.image_normalized"), b"{}")
    await js.publish(event_subject(nats_prefix, "corpus.created"), b"{}")
    # One replica has taken a page and works on it.
    puller = await js.pull_subscribe_bind("analyzer", events_stream(nats_prefix))
    (taken,) = await puller.fetch(1)

    async with httpx.AsyncClient(base_url=lag_gateway.url) as client:
        answer = await client.get("/v1/consumers", headers={"X-API-Key": keys.read})

    assert answer.status_code == 200, answer.text
    assert answer.json()["items"] == [
        {"name": "analyzer", "pending": 2, "ack_pending": 1, "redelivered": 0, "waiting": 0},
        {"name": "exporter", "pending": 0, "ack_pending": 0, "redelivered": 0, "waiting": 0},
    ]
    await taken.ack()


async def test_without_a_key_the_lag_is_not_shown(lag_gateway: ServedGateway) -> None:
    async with httpx.AsyncClient(base_url=lag_gateway.url) as client:
        answer = await client.get("/v1/consumers")

    assert answer.status_code == 401
    assert answer.headers["content-type"] == "application/problem+json"


async def test_without_nats_the_answer_says_so(
    start_gateway: Callable[..., ServedGateway], keys: Keys
) -> None:
    gateway = start_gateway(nats=None)
    async with httpx.AsyncClient(base_url=gateway.url) as client:
        answer = await client.get("/v1/consumers", headers={"X-API-Key": keys.read})

    assert answer.status_code == 503
    assert "NATS" in answer.json()["detail"]


async def test_a_broker_that_is_gone_is_a_503_not_a_500(
    start_gateway: Callable[..., ServedGateway], keys: Keys
) -> None:
    from infra.embedded.process import free_port

    gateway = start_gateway(nats=f"nats://127.0.0.1:{free_port()}")
    async with httpx.AsyncClient(base_url=gateway.url, timeout=30) as client:
        answer = await client.get("/v1/consumers", headers={"X-API-Key": keys.read})

    assert answer.status_code == 503
    assert answer.headers["content-type"] == "application/problem+json"


async def test_before_any_stream_exists_there_is_no_consumer(
    start_gateway: Callable[..., ServedGateway], keys: Keys, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RECTO_NATS_PREFIX", "never-provisioned")
    gateway = start_gateway()
    async with httpx.AsyncClient(base_url=gateway.url) as client:
        answer = await client.get("/v1/consumers", headers={"X-API-Key": keys.read})

    assert answer.status_code == 200
    assert answer.json() == {"items": []}


async def test_a_cluster_is_ready_while_one_of_its_servers_answers(
    start_gateway: Callable[..., ServedGateway], nats_url: str
) -> None:
    from infra.embedded.process import free_port

    gone = [f"nats://127.0.0.1:{free_port()}", f"nats://127.0.0.1:{free_port()}"]
    one_left = start_gateway(nats=",".join([gone[0], nats_url, gone[1]]))
    none_left = start_gateway(nats=",".join(gone))
    async with httpx.AsyncClient() as client:
        ready = await client.get(f"{one_left.url}/readyz")
        not_ready = await client.get(f"{none_left.url}/readyz")

    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"]["nats"] == "NATS connected, JetStream answers"
    assert not_ready.status_code == 503
    assert "NATS unreachable" in not_ready.json()["checks"]["nats"]
