"""B8: the gateway's websocket feed; B4: the gateway's projection against raw asyncpg upserts.

B8 serves the gateway with uvicorn in its own process on loopback and connects websocket
clients from this one while events are appended at a steady rate. Latency is the time from
the event's transaction start (`occurred_at`) to its arrival at a client. A tenth of the
clients drop their connection mid-run and resume with `after=<last position>`; at the end
every client's positions are compared with the log: lost and duplicated events are counted.
  fan-in:  1,000 clients, each following one of 100 jobs (`job=` filter), 500 events/s.
  fan-out: 20 clients following everything, 500 events/s (10,000 messages/s in all).
B4 rebuilds the read models from a preloaded log (an import of pages through every stage) and
compares events/s with raw asyncpg upserts, in batches of 500, of one same-width row per event.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

import httpx
from benchlib import RUNS, servers, summary, table, wanted, write_results
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from contracts import Metadata, PageAnalysisStarted, page_stream
from gateway.adapters.migrate import upgrade_async as upgrade_gateway
from gateway.adapters.projection import ReadModelProjection
from gateway.adapters.search_projection import SearchProjection
from infra.eventstore import PostgresEventStore
from infra.eventstore.migrate import upgrade_async
from infra.heap import settle
from infra.projections import ProjectionRunner

RATE = 500
SECONDS = 8
JOBS = 100
FEED_FIGURES = ("p50_ms", "p99_ms", "delivered", "lost", "duplicated", "reconnects")


@dataclass
class Client:
    after: int
    job: UUID | None
    drop_at: int | None
    positions: list[int] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    reconnects: int = 0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_gateway(database: str, port: int) -> subprocess.Popen[bytes]:
    """The gateway as `recto up` runs it: its own process, its own uvicorn configuration."""
    env = {
        **os.environ,
        "RECTO_DATABASE_URL": database,
        "RECTO_AUTH": "off",
        "RECTO_ARTIFACTS": tempfile.mkdtemp(prefix="recto-bench-artifacts-"),
        "RECTO_FEED_QUEUE_EVENTS": "5000",
        "RECTO_GATEWAY_PORT": str(port),
        "RECTO_LOG_LEVEL": "ERROR",
    }
    env.pop("RECTO_NATS_URL", None)
    return subprocess.Popen([sys.executable, "-m", "recto", "serve", "gateway"], env=env)


async def wait_ready(base: str, store: PostgresEventStore) -> None:
    """Until the gateway answers and its projections have caught up with the log (B4's
    preload): the feed is measured on a gateway at work on live events, not on a backlog."""
    deadline = time.monotonic() + 300
    async with httpx.AsyncClient(base_url=base) as client:
        while time.monotonic() < deadline:
            try:
                if (await client.get("/healthz")).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    for projection in (ReadModelProjection, SearchProjection):
        while await store.lag(projection.name, projection.event_types, at_most=1):
            if time.monotonic() > deadline:
                raise RuntimeError(f"gateway not ready: {projection.name} behind")
            await asyncio.sleep(0.1)


async def follow(base: str, client: Client, done: asyncio.Event) -> None:
    while not done.is_set():
        last = client.positions[-1] if client.positions else client.after
        query = f"after={last}" + (f"&job={client.job}" if client.job else "")
        try:
            async with connect(f"{base}/v1/feed?{query}", max_queue=None, open_timeout=60) as ws:
                async for text in ws:
                    message = json.loads(text)
                    if message["type"] == "heartbeat":
                        continue
                    sent = datetime.fromisoformat(message["occurred_at"]).timestamp()
                    client.latencies.append(time.time() - sent)
                    client.positions.append(message["position"])
                    if client.drop_at is not None and len(client.positions) >= client.drop_at:
                        client.drop_at, client.reconnects = None, client.reconnects + 1
                        break  # forced disconnect: resume with `after`
                    if done.is_set():
                        return
        except (ConnectionClosed, OSError, TimeoutError):
            client.reconnects += 1
            await asyncio.sleep(0.05)


async def write_steadily(store: PostgresEventStore, jobs: list[UUID], seconds: float) -> None:
    pages = [uuid4() for _ in range(200)]
    writers, total = 4, int(RATE * seconds)

    async def writer(offset: int) -> None:
        start = time.perf_counter()
        for n in range(offset, total, writers):
            delay = start + n / RATE - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            page, job = pages[n % len(pages)], jobs[n % len(jobs)]
            await store.append(
                page_stream(page),
                [PageAnalysisStarted(page_id=page, engine="bench", attempt=1)],
                metadata=Metadata(correlation_id=job),
            )

    await asyncio.gather(*[writer(w) for w in range(writers)])


async def feed_run(
    store: PostgresEventStore, base: str, count: int, filtered: bool
) -> dict[str, float]:
    head = int(await store.pool.fetchval("SELECT coalesce(max(position), 0) FROM events"))
    jobs = [uuid4() for _ in range(JOBS)]
    rng = random.Random(count)
    clients = [
        Client(
            head,
            jobs[i % JOBS] if filtered else None,
            rng.randint(1, 20 if filtered else 2000) if i % 10 == 0 else None,
        )
        for i in range(count)
    ]
    done = asyncio.Event()
    tasks = []
    for start in range(0, count, 100):  # connect in waves, as dashboards would
        tasks += [asyncio.create_task(follow(base, c, done)) for c in clients[start : start + 100]]
        await asyncio.sleep(0.2)
    await asyncio.sleep(1.0)
    await write_steadily(store, jobs, SECONDS)
    log = await store.read_all_raw(after=head, limit=1_000_000)
    while len(log) < RATE * SECONDS:
        log = await store.read_all_raw(after=head, limit=1_000_000)
    expected: dict[UUID | None, list[int]] = {None: [raw.position for raw in log]}
    for raw in log:
        expected.setdefault(UUID(json.loads(raw.metadata)["correlation_id"]), []).append(
            raw.position
        )
    deadline = time.monotonic() + 30

    def behind() -> bool:
        return any(len(set(c.positions)) < len(expected[c.job]) for c in clients)

    while time.monotonic() < deadline and behind():  # noqa: ASYNC110 - polls many clients
        await asyncio.sleep(0.1)
    done.set()
    await asyncio.sleep(0.2)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    latencies = sorted(x for c in clients for x in c.latencies)
    lost = sum(len(set(expected[c.job]) - set(c.positions)) for c in clients)
    duplicated = sum(len(c.positions) - len(set(c.positions)) for c in clients)
    order_broken = sum(c.positions != sorted(c.positions) for c in clients)
    return {
        "p50_ms": 1000 * statistics.median(latencies),
        "p99_ms": 1000 * latencies[int(0.99 * (len(latencies) - 1))],
        "delivered": len(latencies),
        "lost": lost,
        "duplicated": duplicated,
        "out_of_order_clients": order_broken,
        "reconnects": sum(c.reconnects for c in clients),
    }


async def preload_pipeline(store: PostgresEventStore, pages: int) -> int:
    """An import as the services record it: every page through every stage."""
    import hashlib

    from contracts import (
        ArtifactRef,
        CorpusCreated,
        IiifSource,
        ImageRef,
        JobCreated,
        ManuscriptImported,
        ManuscriptImportRequested,
        PageAnalyzed,
        PageExported,
        PageImageNormalized,
        PageRegistered,
        Plan,
        corpus_stream,
        job_stream,
        manuscript_stream,
    )
    from infra.eventstore import StreamAppend

    ref = ArtifactRef(sha256=hashlib.sha256(b"x").hexdigest(), media_type="image/jpeg", bytes=1)
    image = ImageRef(**ref.model_dump(), width=10, height=10)
    corpus, manuscript, job = uuid4(), uuid4(), uuid4()
    meta = Metadata(correlation_id=job)
    await store.append(
        corpus_stream(corpus),
        [CorpusCreated(corpus_id=corpus, slug="bench", title="Bench", profile="default")],
    )
    await store.append_streams(
        [
            StreamAppend(
                manuscript_stream(manuscript),
                [
                    ManuscriptImportRequested(
                        manuscript_id=manuscript,
                        corpus_id=corpus,
                        job_id=job,
                        source=IiifSource(url="https://example.org/m.json"),
                    )
                ],
            ),
            StreamAppend(
                job_stream(job),
                [
                    JobCreated(
                        job_id=job,
                        kind="import",
                        corpus_id=corpus,
                        manuscript_id=manuscript,
                        plan=Plan(),
                    )
                ],
            ),
        ],
        metadata=meta,
    )
    await store.append(
        manuscript_stream(manuscript),
        [ManuscriptImported(manuscript_id=manuscript, corpus_id=corpus, page_count=pages)],
        metadata=meta,
    )
    ids = [uuid4() for _ in range(pages)]
    stages = [
        lambda p, i: PageRegistered(
            page_id=p, manuscript_id=manuscript, corpus_id=corpus, job_id=job, index=i
        ),
        lambda p, i: PageImageNormalized(
            page_id=p, job_id=job, master=image, derivative=image, thumbnail=image
        ),
        lambda p, i: PageAnalyzed(
            page_id=p, job_id=job, analysis=ref, engine="bench", duration_ms=1
        ),
        lambda p, i: PageExported(page_id=p, job_id=job, analysis=ref, formats={"alto": ref}),
    ]
    for stage in stages:
        for start in range(0, pages, 250):
            await store.append_streams(
                [
                    StreamAppend(page_stream(p), [stage(p, start + i)])
                    for i, p in enumerate(ids[start : start + 250])
                ],
                metadata=meta,
            )
    return 4 + 4 * pages


_RAW_UPSERT = """
INSERT INTO bench_pages (page_id, manuscript_id, corpus_id, "index", status, updated_at,
    job_id, label, engine, confidence, attempts, images, analysis, formats, last_error)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11,
    $12::jsonb, $13::jsonb, $14::jsonb, $15::jsonb)
ON CONFLICT (page_id) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at,
    engine = excluded.engine, images = excluded.images, analysis = excluded.analysis,
    formats = excluded.formats
"""


async def projection_rates(store: PostgresEventStore, events: int) -> tuple[float, float]:
    runner = ProjectionRunner(store, ReadModelProjection(), batch_size=500)
    started = time.perf_counter()
    applied = await runner.rebuild()
    projected = applied / (time.perf_counter() - started)
    # Raw: one same-width page row upserted per event, 500 per executemany and transaction.
    rows = await store.pool.fetch(
        'SELECT page_id, manuscript_id, corpus_id, "index", status, updated_at, job_id, label,'
        " engine, confidence, attempts, images::text, analysis::text, formats::text,"
        " last_error::text FROM gw_pages"
    )
    await store.pool.execute("DROP TABLE IF EXISTS bench_pages")
    await store.pool.execute("CREATE TABLE bench_pages (LIKE gw_pages INCLUDING ALL)")
    values = [tuple(rows[n % len(rows)]) for n in range(events)]
    started = time.perf_counter()
    async with store.pool.acquire() as connection:
        for start in range(0, len(values), 500):
            async with connection.transaction():
                await connection.executemany(_RAW_UPSERT, values[start : start + 500])
    raw = len(values) / (time.perf_counter() - started)
    return projected, raw


async def main() -> None:
    figures: dict[str, Any] = {"rate_events_per_s": RATE, "seconds": SECONDS}
    rows = [("figure", "median", "spread (min..max)")]
    with servers() as (database, _):
        await upgrade_async(database)
        await upgrade_gateway(database)
        store = await PostgresEventStore.connect(database)
        try:
            if wanted("b4"):  # first, on a quiet server
                events = await preload_pipeline(store, 5000)
                settle()  # as `recto serve` does once started (`infra.heap`)
                b4 = [await projection_rates(store, events) for _ in range(RUNS)]
                figures["b4_projection"] = {
                    "events": events,
                    "projection_events_per_s": summary([p for p, _ in b4]),
                    "raw_upserts_per_s": summary([r for _, r in b4]),
                    "ratio": summary([p / r for p, r in b4]),
                }
                for label, key in (
                    ("B4 projection events/s", "projection_events_per_s"),
                    ("B4 raw asyncpg upserts/s", "raw_upserts_per_s"),
                    ("B4 ratio", "ratio"),
                ):
                    rows.append((label, *_cells(figures["b4_projection"][key])))
            if wanted("b8"):
                figures |= await feed_figures(store, database)
                for name in ("b8_fan_in_1000_clients", "b8_fan_out_20_clients"):
                    for key in FEED_FIGURES:
                        rows.append((f"{name} {key}", *_cells(figures[name][key])))
        finally:
            await store.close()
    path = write_results("gateway_feed", figures)
    print(table(rows))
    print(f"written to {path}")


async def feed_figures(store: PostgresEventStore, database: str) -> dict[str, Any]:
    port = free_port()
    process = start_gateway(database, port)
    try:
        await wait_ready(f"http://127.0.0.1:{port}", store)
        base = f"ws://127.0.0.1:{port}"
        fan_in = [await feed_run(store, base, 1000, True) for _ in range(RUNS)]
        fan_out = [await feed_run(store, base, 20, False) for _ in range(RUNS)]
    finally:
        process.terminate()
        process.wait(timeout=20)
    return {
        "b8_fan_in_1000_clients": {k: summary([run[k] for run in fan_in]) for k in fan_in[0]},
        "b8_fan_out_20_clients": {k: summary([run[k] for run in fan_out]) for k in fan_out[0]},
    }


def _cells(figure: dict[str, float]) -> tuple[str, str]:
    precision = 2 if figure["median"] < 10 else 1 if figure["median"] < 1000 else 0
    return (
        f"{figure['median']:.{precision}f}",
        f"{figure['min']:.{precision}f}..{figure['max']:.{precision}f}",
    )


if __name__ == "__main__":
    asyncio.run(main())
