"""The live feed: replay then live with no loss and no repeat, resumption, slow clients, SSE."""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import time
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from contracts import ManuscriptImported, Metadata, PageAnalysisStarted, page_stream
from infra.eventstore import PostgresEventStore
from infra.testing.patience import patient

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def ws_url(gateway: Any, key: str, **params: object) -> str:
    query = "&".join(f"{k}={v}" for k, v in {"api_key": key, **params}.items())
    return gateway.url.replace("http://", "ws://") + f"/v1/feed?{query}"


async def append_events(store: PostgresEventStore, total: int, writers: int = 4) -> None:
    """`total` events from concurrent writers, in small transactions that interleave."""

    async def write(share: int) -> None:
        streams = [uuid4() for _ in range(10)]
        written = 0
        while written < share:
            size = min(random.randint(1, 40), share - written)
            page_id = random.choice(streams)
            events = [
                PageAnalysisStarted(page_id=page_id, engine="tesseract", attempt=n + 1)
                for n in range(size)
            ]
            await store.append(
                page_stream(page_id), events, metadata=Metadata(correlation_id=page_id)
            )
            written += size
            await asyncio.sleep(random.random() * 0.004)

    await asyncio.gather(*[write(total // writers) for _ in range(writers)])


async def settled(store: PostgresEventStore, count: int) -> list[int]:
    """Every position once all `count` events are readable (open transactions elsewhere, like
    a projection batch, briefly hold the read horizon back). The fixtures' `api_key.*` events
    are left out: feeds of read keys do not show them."""
    deadline = time.monotonic() + patient(60)
    while True:
        raws = await store.read_all_raw(limit=100_000)
        positions = [raw.position for raw in raws if not raw.type.startswith("api_key.")]
        if len(positions) >= count:
            return positions
        if time.monotonic() > deadline:
            raise AssertionError(f"only {len(positions)} of {count} events became readable")
        await asyncio.sleep(0.02)


async def follow(
    gateway: Any, key: str, after: int, until: asyncio.Future[int], *, drop_after: int | None
) -> list[int]:
    """Positions received from `after` until the final position; reconnects with `after` when
    it drops the connection itself (`drop_after` events in) or the server closes it."""
    received: list[int] = []
    while True:
        last = received[-1] if received else after
        try:
            # Fifty handshakes at once take their time on a loaded machine.
            async with connect(
                ws_url(gateway, key, after=last), max_queue=None, open_timeout=patient(60)
            ) as websocket:
                async for text in websocket:
                    message = json.loads(text)
                    if message["type"] != "heartbeat":
                        received.append(message["position"])
                    elif not received:
                        continue
                    if drop_after is not None and len(received) >= drop_after:
                        drop_after = None
                        break  # a forced disconnect mid-stream: reconnect with `after`
                    if until.done() and received[-1] >= until.result():
                        return received
        except ConnectionClosed:
            pass
        if until.done() and received and received[-1] >= until.result():
            return received


async def test_fifty_clients_at_random_positions_get_exactly_the_events_after_them(
    gateway: Any, keys: Any, event_store: PostgresEventStore
) -> None:
    random.seed(7)
    final: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    writer = asyncio.create_task(append_events(event_store, 5000))
    clients: list[tuple[int, asyncio.Task[list[int]]]] = []
    for index in range(50):
        # Connect at random moments, from a random position already in the log (or 0).
        await asyncio.sleep(random.random() * 0.05)
        known = await event_store.read_all_raw(limit=10_000)
        after = random.choice([0, *[raw.position for raw in known]])
        drop = random.randint(1, 400) if index % 3 == 0 else None
        clients.append(
            (after, asyncio.create_task(follow(gateway, keys.read, after, final, drop_after=drop)))
        )
    await writer
    everything = await settled(event_store, 5000)
    assert len(everything) == 5000
    final.set_result(everything[-1])

    results = await asyncio.wait_for(asyncio.gather(*[task for _, task in clients]), patient(120))
    for (after, _), received in zip(clients, results, strict=True):
        assert received == [p for p in everything if p > after]


async def test_a_slow_client_is_closed_with_4008_and_resumes_without_loss(
    start_gateway: Any, keys: Any, event_store: PostgresEventStore
) -> None:
    served = start_gateway(feed_queue_events=10)
    corpus_id = uuid4()
    big = ["x" * 60_000]
    async with connect(ws_url(served, keys.read), max_queue=1, max_size=None) as slow:
        # The client reads nothing while 200 large events are appended: buffers fill, then the
        # gateway's queue for it overflows.
        for _ in range(20):
            events = [
                ManuscriptImported(
                    manuscript_id=uuid4(), corpus_id=corpus_id, page_count=0, notes=big
                )
                for _ in range(10)
            ]
            await event_store.append(f"manuscript-{uuid4()}", events)
        await asyncio.sleep(2.0)
        received: list[int] = []
        with contextlib.suppress(ConnectionClosed):  # closed with 4008, checked below
            async for text in slow:
                received.append(json.loads(text)["position"])
    assert slow.close_code == 4008
    assert f"after={received[-1]}" in (slow.close_reason or "")
    everything = await settled(event_store, 200)
    assert len(received) < len(everything)
    # Resuming from the last position received delivers the rest, nothing twice.
    async with connect(ws_url(served, keys.read, after=received[-1]), max_size=None) as resumed:
        while received[-1] != everything[-1]:
            message = json.loads(await resumed.recv())
            if message["type"] != "heartbeat":
                received.append(message["position"])
    assert received == everything


async def test_filters_by_job_corpus_and_type(
    gateway: Any, keys: Any, event_store: PostgresEventStore, kit: Any
) -> None:
    corpus_a, corpus_b, job_a, job_b = uuid4(), uuid4(), uuid4(), uuid4()
    pages_a = await kit.import_pages(event_store, corpus_a, uuid4(), job_a, 3)
    await kit.import_pages(event_store, corpus_b, uuid4(), job_b, 2)
    for page_id in pages_a:
        await kit.analyse(event_store, job_a, page_id)  # carries job_id, not corpus_id
    await settled(event_store, 18)
    everything = await event_store.read_all(limit=1000)

    async def collect(**params: object) -> list[dict[str, Any]]:
        out = []
        async with connect(ws_url(gateway, keys.read, **params)) as websocket:
            while True:
                message = json.loads(await asyncio.wait_for(websocket.recv(), patient(30)))
                if message["type"] == "heartbeat":
                    if message["position"] >= everything[-1].position:
                        return out
                    continue
                out.append(message)

    by_corpus = await collect(corpus=corpus_a)
    expected = [
        e
        for e in everything
        if (e.stream_id.startswith("manuscript-") and e.data.corpus_id == corpus_a)  # type: ignore[attr-defined]
        or e.stream_id in {page_stream(p) for p in pages_a}
    ]
    assert [(m["position"], m["type"]) for m in by_corpus] == [
        (e.position, e.type) for e in expected
    ]
    by_job = await collect(job=job_b, types="page.registered")
    assert len(by_job) == 2
    assert {m["type"] for m in by_job} == {"page.registered"}
    assert set(by_job[0]) == {"position", "type", "stream_id", "occurred_at", "data"}
    assert UUID(by_job[0]["data"]["job_id"]) == job_b


async def test_sse_replays_after_last_event_id(
    gateway: Any, keys: Any, event_store: PostgresEventStore, kit: Any
) -> None:
    await kit.import_pages(event_store, uuid4(), uuid4(), uuid4(), 3)
    everything = await settled(event_store, 7)
    positions: list[int] = []
    async with httpx.AsyncClient(base_url=gateway.url, timeout=10) as client:
        async with client.stream(
            "GET",
            "/v1/feed/sse",
            params={"api_key": keys.read},
            headers={"Last-Event-ID": str(everything[1])},
        ) as response:
            assert response.headers["content-type"].startswith("text/event-stream")
            async for line in response.aiter_lines():
                if line.startswith("id: "):
                    positions.append(int(line[4:]))
                if positions and positions[-1] == everything[-1]:
                    break
        denied = await client.get("/v1/feed/sse")
    assert positions == everything[2:]
    assert denied.status_code == 401


async def test_websocket_without_a_key_is_closed_4401(gateway: Any) -> None:
    url = gateway.url.replace("http://", "ws://") + "/v1/feed"
    async with connect(url) as websocket:
        with pytest.raises(ConnectionClosed) as closed:
            await websocket.recv()
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4401
