"""Event latency on a quiet stack: from an append to JetStream (the relay) and to a feed client.

Every service runs in its own process (`recto up`, embedded servers). One event is appended
every half second, so each one finds the tailers idle: the figure is the cost of waking them,
not of a queue. Latency runs from just before the append to the arrival of the event on a core
NATS subscription of its subject, and on a websocket following the gateway's feed.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from uuid import uuid4

import nats
from benchlib import summary, table, write_results
from websockets.asyncio.client import connect

from contracts import Metadata, PageAnalysisStarted, page_stream
from contracts.subjects import event_subject
from infra.eventstore import PostgresEventStore
from recto.stack import Stack, running_stack

EVENTS = int(os.environ.get("RECTO_BENCH_LATENCY_EVENTS", "40"))
INTERVAL = 0.5
STACK_ENV = {"RECTO_AUTH": "off"}


async def measure(stack: Stack) -> dict[str, list[float]]:
    store = await PostgresEventStore.connect(stack.database_url, max_size=2)
    bus = await nats.connect(stack.nats_url)
    relayed: dict[str, float] = {}
    fed: dict[str, float] = {}

    async def on_message(message: nats.aio.msg.Msg) -> None:
        relayed[json.loads(message.data)["data"]["engine"]] = time.perf_counter()

    await bus.subscribe(event_subject("recto", "page.analysis_started"), cb=on_message)
    head = await store.head_position()
    feed_url = stack.gateway_url.replace("http", "ws", 1) + f"/v1/feed?after={head}"
    sent: dict[str, float] = {}
    async with connect(feed_url, max_queue=None) as feed:

        async def follow() -> None:
            async for text in feed:
                message = json.loads(text)
                if message["type"] == "page.analysis_started":
                    fed[message["data"]["engine"]] = time.perf_counter()

        follower = asyncio.create_task(follow())
        for n in range(EVENTS):
            await asyncio.sleep(INTERVAL)
            page, tag = uuid4(), f"latency-{n}"
            sent[tag] = time.perf_counter()
            await store.append(
                page_stream(page),
                [PageAnalysisStarted(page_id=page, engine=tag, attempt=1)],
                metadata=Metadata(correlation_id=uuid4()),
            )
        deadline = time.monotonic() + 30
        while (len(fed) < EVENTS or len(relayed) < EVENTS) and time.monotonic() < deadline:  # noqa: ASYNC110 - two receivers
            await asyncio.sleep(0.1)
        follower.cancel()
    await bus.close()
    await store.close()
    return {
        "relay_ms": [1000 * (relayed[t] - s) for t, s in sent.items() if t in relayed],
        "feed_ms": [1000 * (fed[t] - s) for t, s in sent.items() if t in fed],
    }


def main() -> None:
    state_dir = Path(tempfile.mkdtemp(prefix="recto-bench-latency-", dir="/tmp"))
    state_dir.chmod(0o755)  # the embedded PostgreSQL runs as nobody when root
    try:
        with running_stack(state_dir, extra_env=STACK_ENV) as stack:
            samples = asyncio.run(measure(stack))
    finally:
        shutil.rmtree(state_dir, ignore_errors=True)
    figures: dict[str, object] = {"events": EVENTS, "interval_seconds": INTERVAL}
    rows = [("figure", "median", "p99 / lost")]
    for name, values in samples.items():
        ordered = sorted(values)
        p99 = ordered[int(0.99 * (len(ordered) - 1))] if ordered else float("nan")
        figures[name] = {**summary(values), "p99": p99, "lost": EVENTS - len(values)}
        rows.append(
            (
                f"append -> {name.removesuffix('_ms')} (ms)",
                f"{statistics.median(values):.1f}",
                f"{p99:.1f} / {EVENTS - len(values)}",
            )
        )
    path = write_results("event_latency", figures)
    print(table(rows))
    print(f"written to {path}")


if __name__ == "__main__":
    main()
