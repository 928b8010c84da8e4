"""B9: the event store straight to PostgreSQL and through PgBouncer in transaction mode.

Single-event appends by 8 concurrent writers and tailing reads of 500 events, over four ways
in: direct with asyncpg's statement cache (the default) and without it, and through a
PgBouncer keeping 4 server connections, with the cache off (what PgBouncer < 1.21 needs).
"""

from __future__ import annotations

import asyncio
import time
from urllib.parse import urlsplit
from uuid import uuid4

from benchlib import RUNS, servers, summary, table, write_results

from contracts import CorpusCreated
from infra.database import DatabaseAccess
from infra.eventstore import PostgresEventStore
from infra.eventstore.migrate import upgrade_async
from infra.testing.pgbouncer import PgBouncer

WRITERS = 8
PER_WRITER = 300
SERVER_CONNECTIONS = 4


def event() -> CorpusCreated:
    return CorpusCreated(corpus_id=uuid4(), slug="bench", title="Bench", profile="default")


async def appends(store: PostgresEventStore) -> float:
    async def writer() -> None:
        stream = f"corpus-{uuid4()}"
        for version in range(PER_WRITER):
            await store.append(stream, [event()], expected_version=version)

    started = time.perf_counter()
    await asyncio.gather(*(writer() for _ in range(WRITERS)))
    return WRITERS * PER_WRITER / (time.perf_counter() - started)


async def reads(store: PostgresEventStore) -> float:
    """Events/s read in batches of 500 by 8 concurrent tailers, each from the start."""
    head = await store.head_position()

    async def tailer() -> int:
        position, read = 0, 0
        while position < head:
            batch = await store.read_all_raw(after=position, limit=500)
            read, position = read + len(batch), batch[-1].position
        return read

    started = time.perf_counter()
    total = sum(await asyncio.gather(*(tailer() for _ in range(WRITERS))))
    return total / (time.perf_counter() - started)


async def main() -> None:
    with servers() as (database_url, _):
        await upgrade_async(database_url)
        with PgBouncer(database_url, pool_size=SERVER_CONNECTIONS) as bouncer:
            pooled = bouncer.url(urlsplit(database_url).path.lstrip("/"))
            ways = {
                "direct, cache 100": DatabaseAccess(database_url, database_url, max_size=WRITERS),
                "direct, cache 0": DatabaseAccess(
                    database_url, database_url, max_size=WRITERS, statement_cache_size=0
                ),
                "pgbouncer, cache 0": DatabaseAccess(
                    pooled, database_url, max_size=WRITERS, statement_cache_size=0
                ),
            }
            figures: dict[str, dict[str, list[float]]] = {
                way: {"appends": [], "reads": []} for way in ways
            }
            for _ in range(RUNS):
                for way, access in ways.items():
                    store = await PostgresEventStore.open(access)
                    try:
                        figures[way]["appends"].append(await appends(store))
                        figures[way]["reads"].append(await reads(store))
                    finally:
                        await store.close()
    medians = {way: {k: summary(v) for k, v in f.items()} for way, f in figures.items()}
    rows = [("way in", "appends/s median (min..max)", "reads events/s median (min..max)")]
    for way, m in medians.items():
        a, r = m["appends"], m["reads"]
        rows.append(
            (
                way,
                f"{a['median']:,.0f} ({a['min']:,.0f}..{a['max']:,.0f})",
                f"{r['median']:,.0f} ({r['min']:,.0f}..{r['max']:,.0f})",
            )
        )
    print(table(rows))
    path = write_results(
        "pgbouncer_append",
        {"figures": medians, "writers": WRITERS, "server_connections": SERVER_CONNECTIONS},
    )
    print(f"results: {path}")


if __name__ == "__main__":
    asyncio.run(main())
