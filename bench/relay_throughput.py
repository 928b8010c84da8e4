"""B3: the relay (store → JetStream) against raw nats-py `publish_async` with batched acks.

Throughput: relay a preloaded log of N events; raw: publish the same payloads directly.
Lag: append 1,000 events/s for a few seconds while the relay runs; lag is the time from the
append's commit to the message reaching a subscriber.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from uuid import uuid4

import nats
from benchlib import RUNS, servers, summary, table, write_results

from contracts import CorpusCreated
from contracts.subjects import all_events
from infra.eventstore import PostgresEventStore
from infra.eventstore.checkpoints import save_checkpoint
from infra.eventstore.migrate import upgrade_async
from infra.messaging.provisioning import ensure_streams
from infra.messaging.relay import Relay

EVENTS = 20_000
LAG_RATE = 1_000
LAG_SECONDS = 5


def event() -> CorpusCreated:
    return CorpusCreated(corpus_id=uuid4(), slug="bench", title="Bench", profile="default")


async def preload(store: PostgresEventStore) -> None:
    for n in range(EVENTS // 500):
        await store.append(f"corpus-{n % 50}", [event() for _ in range(500)])


async def relay_rate(
    store: PostgresEventStore, js: nats.js.JetStreamContext, prefix: str, after: int
) -> float:
    relay = Relay(store, js, prefix, name=f"relay-{prefix}")
    await save_checkpoint(store.pool, relay.name, after)  # this run's events only
    await relay.start()
    started = time.perf_counter()
    while await relay.relay_once():
        pass
    return relay.published / (time.perf_counter() - started)


async def raw_rate(js: nats.js.JetStreamContext, prefix: str, payloads: list[bytes]) -> float:
    subject = f"{prefix}.evt.corpus.created"
    started = time.perf_counter()
    for start in range(0, len(payloads), 1000):
        acks = [
            await js.publish_async(subject, payload, headers={"Nats-Msg-Id": str(uuid4())})
            for payload in payloads[start : start + 1000]
        ]
        await asyncio.gather(*acks)
    return len(payloads) / (time.perf_counter() - started)


async def lag(store: PostgresEventStore, client: nats.NATS, prefix: str) -> list[float]:
    js = client.jetstream()
    committed: dict[str, float] = {}
    lags: list[float] = []

    async def on_message(message: nats.aio.msg.Msg) -> None:
        event_id = (message.headers or {}).get("Nats-Msg-Id", "")
        if event_id in committed:
            lags.append(time.perf_counter() - committed[event_id])

    subscription = await client.subscribe(all_events(prefix), cb=on_message)
    stop = asyncio.Event()
    await ensure_streams(js, prefix)
    relay = Relay(store, js, prefix, idle_sleep=0.002, name=f"relay-{prefix}")
    await save_checkpoint(store.pool, relay.name, await _last_position(store))
    running = asyncio.create_task(relay.run(stop))
    interval = 10 / LAG_RATE  # ten events every 10 ms
    deadline = time.perf_counter() + LAG_SECONDS
    while time.perf_counter() < deadline:
        tick = time.perf_counter()
        for appended in await store.append("corpus-lag", [event() for _ in range(10)]):
            committed[str(appended.event_id)] = time.perf_counter()
        await asyncio.sleep(max(0.0, interval - (time.perf_counter() - tick)))
    await asyncio.sleep(0.5)
    stop.set()
    await running
    await subscription.unsubscribe()
    return lags


async def main() -> None:
    relay_rates, raw_rates, p50s, p99s = [], [], [], []
    with servers(nats=True) as (database_url, nats_url):
        await upgrade_async(database_url)
        store = await PostgresEventStore.connect(database_url)
        client = await nats.connect(nats_url or "")
        js = client.jetstream()
        for run in range(RUNS):
            after = await _last_position(store)
            await preload(store)
            relay_rates.append(await relay_rate(store, js, f"relay{run}", after))
            payloads = [
                e.to_wire_json().encode()
                for e in await store.read_all_raw(after=after, limit=EVENTS)
            ]
            await ensure_streams(js, f"raw{run}")
            raw_rates.append(await raw_rate(js, f"raw{run}", payloads))
            lags = await lag(store, client, f"lag{run}")
            p50s.append(statistics.median(lags) * 1000)
            p99s.append(statistics.quantiles(lags, n=100)[98] * 1000)
        await client.close()
        await store.close()
    figures = {
        "relay_events_per_s": summary(relay_rates),
        "raw_publish_per_s": summary(raw_rates),
        "lag_p50_ms": summary(p50s),
        "lag_p99_ms": summary(p99s),
    }
    ratio = figures["relay_events_per_s"]["median"] / figures["raw_publish_per_s"]["median"]
    rows = [("figure", "median (min..max)", "")]
    for key, s in figures.items():
        rows.append((key, f"{s['median']:,.1f} ({s['min']:,.1f}..{s['max']:,.1f})", ""))
    rows += [
        ("B3 relay/raw", f"{ratio:.2f}x", "goal >= 0.5x"),
        ("B3 lag p99 at 1k/s", f"{figures['lag_p99_ms']['median']:.1f} ms", "goal < 50 ms"),
    ]
    print(table(rows))
    print(f"results: {write_results('relay_throughput', {'figures': figures, 'ratio': ratio})}")


async def _last_position(store: PostgresEventStore) -> int:
    return int(await store.pool.fetchval("SELECT coalesce(max(position), 0) FROM events"))


if __name__ == "__main__":
    asyncio.run(main())
