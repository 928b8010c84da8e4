"""B1 and B2: event store appends against raw asyncpg and pyeventsourcing, same server, same run.

B1: batched appends, 500 events a call, expected version checked.
B2: single appends, one event a transaction, 8 concurrent writers.
"""

from __future__ import annotations

import asyncio
import threading
import time
from uuid import uuid4

import asyncpg
from benchlib import RUNS, servers, summary, table, wanted, write_results

from contracts import CorpusCreated
from infra.eventstore import PostgresEventStore, asyncpg_dsn
from infra.eventstore.migrate import upgrade_async

BATCH = 500
BATCHES = 40
WRITERS = 8
SINGLE_PER_WRITER = 400

RATIOS = [  # key in the results, label, (Recto's figure, the other's), goal
    ("b1_vs_raw", "B1 Recto/raw", ("b1_recto", "b1_raw"), "goal >= 0.7x"),
    ("b2_vs_raw", "B2 Recto/raw", ("b2_recto", "b2_raw"), "goal >= 0.8x"),
    ("b2_vs_pyeventsourcing", "B2 Recto/pyeventsourcing", ("b2_recto", "b2_pyes"), "goal >= 2x"),
]

RAW_TABLE = """
CREATE TABLE IF NOT EXISTS raw_events (
    position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, event_id uuid UNIQUE NOT NULL,
    stream_id text NOT NULL, stream_version int NOT NULL, type text NOT NULL,
    schema_version int NOT NULL, data jsonb NOT NULL, metadata jsonb NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now(), UNIQUE (stream_id, stream_version))
"""
RAW_INSERT = """
INSERT INTO raw_events (event_id, stream_id, stream_version, type, schema_version, data, metadata)
VALUES ($1, $2, $3, $4, $5, $6::jsonb, '{}'::jsonb)
"""


def event() -> CorpusCreated:
    return CorpusCreated(corpus_id=uuid4(), slug="bench", title="Bench", profile="default")


async def recto_batched(store: PostgresEventStore) -> float:
    stream = f"corpus-{uuid4()}"
    batches = [[event() for _ in range(BATCH)] for _ in range(BATCHES)]
    started = time.perf_counter()
    for n, batch in enumerate(batches):
        await store.append(stream, batch, expected_version=n * BATCH)
    return BATCH * BATCHES / (time.perf_counter() - started)


async def raw_batched(pool: asyncpg.Pool) -> float:
    stream = f"corpus-{uuid4()}"
    batches = [
        [
            (uuid4(), stream, n * BATCH + i + 1, "corpus.created", 2, event().model_dump_json())
            for i in range(BATCH)
        ]
        for n in range(BATCHES)
    ]
    started = time.perf_counter()
    for batch in batches:
        async with pool.acquire() as connection, connection.transaction():
            await connection.executemany(RAW_INSERT, batch)
    return BATCH * BATCHES / (time.perf_counter() - started)


async def recto_single(store: PostgresEventStore) -> float:
    async def writer() -> None:
        stream = f"corpus-{uuid4()}"
        for version in range(SINGLE_PER_WRITER):
            await store.append(stream, [event()], expected_version=version)

    started = time.perf_counter()
    await asyncio.gather(*(writer() for _ in range(WRITERS)))
    return WRITERS * SINGLE_PER_WRITER / (time.perf_counter() - started)


async def raw_single(pool: asyncpg.Pool) -> float:
    async def writer() -> None:
        stream = f"corpus-{uuid4()}"
        for version in range(SINGLE_PER_WRITER):
            row = (uuid4(), stream, version + 1, "corpus.created", 2, event().model_dump_json())
            async with pool.acquire() as connection:
                await connection.execute(RAW_INSERT, *row)

    started = time.perf_counter()
    await asyncio.gather(*(writer() for _ in range(WRITERS)))
    return WRITERS * SINGLE_PER_WRITER / (time.perf_counter() - started)


def pyeventsourcing_single(database_url: str) -> float:
    """pyeventsourcing's application recorder (global order, as Recto): one event a transaction."""
    from eventsourcing.persistence import StoredEvent
    from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore

    dsn = asyncpg_dsn(database_url).removeprefix("postgresql://")
    user_host, _, dbname = dsn.partition("/")
    user, _, hostport = user_host.partition("@")
    host, _, port = hostport.partition(":")
    datastore = PostgresDatastore(
        dbname=dbname,
        host=host,
        port=port,
        user=user,
        password="",
        pool_size=WRITERS,
        max_overflow=0,
    )
    recorder = PostgresApplicationRecorder(datastore, events_table_name="pyes_events")
    recorder.create_table()
    payload = event().model_dump_json().encode()

    def writer() -> None:
        aggregate = uuid4()
        for version in range(1, SINGLE_PER_WRITER + 1):
            recorder.insert_events(
                [
                    StoredEvent(
                        originator_id=aggregate,
                        originator_version=version,
                        topic="corpus.created",
                        state=payload,
                    )
                ]
            )

    threads = [threading.Thread(target=writer) for _ in range(WRITERS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    rate = WRITERS * SINGLE_PER_WRITER / (time.perf_counter() - started)
    datastore.close()
    return rate


async def main() -> None:
    with servers() as (database_url, _):
        await upgrade_async(database_url)
        store = await PostgresEventStore.connect(database_url, max_size=WRITERS)
        pool = await asyncpg.create_pool(
            asyncpg_dsn(database_url), min_size=WRITERS, max_size=WRITERS
        )
        await pool.execute(RAW_TABLE)
        figures: dict[str, list[float]] = {
            k: [] for k in ("b1_recto", "b1_raw", "b2_recto", "b2_raw", "b2_pyes")
        }
        for _ in range(RUNS):
            if wanted("b1"):
                figures["b1_recto"].append(await recto_batched(store))
                figures["b1_raw"].append(await raw_batched(pool))
            if wanted("b2"):
                figures["b2_recto"].append(await recto_single(store))
                figures["b2_raw"].append(await raw_single(pool))
                figures["b2_pyes"].append(
                    await asyncio.to_thread(pyeventsourcing_single, database_url)
                )
        await store.close()
        await pool.close()

    med = {k: summary(v) for k, v in figures.items() if v}
    rows = [("figure", "events/s median (min..max)", "")]
    for key, s in med.items():
        rows.append((key, f"{s['median']:,.0f} ({s['min']:,.0f}..{s['max']:,.0f})", ""))
    ratios: dict[str, float] = {}
    for key, label, (ours, theirs), goal in RATIOS:
        if ours in med:
            ratios[key] = med[ours]["median"] / med[theirs]["median"]
            rows.append((label, f"{ratios[key]:.2f}x", goal))
    print(table(rows))
    path = write_results(
        "eventstore_append", {"figures": med, "ratios": ratios, "batch": BATCH, "writers": WRITERS}
    )
    print(f"results: {path}")


if __name__ == "__main__":
    asyncio.run(main())
