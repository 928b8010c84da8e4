"""Gap safety: a reader tailing the log never skips an event whose transaction commits late."""

from __future__ import annotations

import asyncio
import random
import time
from uuid import uuid4

import asyncpg
import pytest

from contracts import CorpusCreated
from infra.eventstore import PostgresEventStore, asyncpg_dsn

pytestmark = pytest.mark.integration

WRITERS = 8
EVENTS_PER_WRITER = 2000

# Sleeps at COMMIT time, after positions are assigned: the late commit a naive reader trips on.
COMMIT_DELAY = """
CREATE FUNCTION sleep_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.stream_id LIKE 'slow-%' THEN
        PERFORM pg_sleep(1.0);
    ELSIF NEW.position & 65535 = 0 THEN
        PERFORM pg_sleep(random() * 0.004);
    END IF;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER delay_commit AFTER INSERT ON events
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION sleep_at_commit();
"""


def created() -> CorpusCreated:
    return CorpusCreated(corpus_id=uuid4(), slug="gap", title="Gap", profile="default")


@pytest.fixture
async def delayed_store(database_url: str, event_store: PostgresEventStore) -> PostgresEventStore:
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        await connection.execute(COMMIT_DELAY)
    finally:
        await connection.close()
    return event_store


async def test_late_commit_is_held_back_not_skipped(
    delayed_store: PostgresEventStore, database_url: str
) -> None:
    # A slow transaction takes its position first, a fast one commits after it.
    slow = asyncio.create_task(delayed_store.append("slow-1", [created()]))
    await asyncio.sleep(0.3)
    fast = await delayed_store.append("fast-1", [created()])

    # The control: a naive `position > last` reader already sees the fast event alone,
    # and would never come back for the slow one.
    naive = await delayed_store.pool.fetch("SELECT stream_id FROM events WHERE position > 0")
    assert [row["stream_id"] for row in naive] == ["fast-1"]

    # The store's reader holds the fast event back until the slow one is committed.
    assert await delayed_store.read_all() == []
    (slow_event,) = await slow
    after = await delayed_store.read_all()
    assert [e.stream_id for e in after] == ["slow-1", "fast-1"]
    assert slow_event.position < fast[0].position


async def test_concurrent_writers_reader_sees_every_event_once_in_order(
    delayed_store: PostgresEventStore,
) -> None:
    store = delayed_store
    written: set[int] = set()
    done = asyncio.Event()

    async def writer(seed: int) -> None:
        rng = random.Random(seed)
        remaining = EVENTS_PER_WRITER
        while remaining:
            batch = min(remaining, rng.randint(1, 4))
            for event in await store.append(f"corpus-w{seed}", [created() for _ in range(batch)]):
                written.add(event.position)
            remaining -= batch

    seen: list[int] = []
    versions: dict[str, list[int]] = {}

    async def reader() -> None:
        after = 0
        while not (done.is_set() and len(seen) >= len(written)):
            batch = await store.read_all_raw(after=after, limit=500)
            if not batch:
                await asyncio.sleep(0.002)
                continue
            seen.extend(e.position for e in batch)
            for e in batch:
                versions.setdefault(e.stream_id, []).append(e.stream_version)
            after = batch[-1].position

    started = time.perf_counter()
    tail = asyncio.create_task(reader())
    await asyncio.gather(*(writer(seed) for seed in range(WRITERS)))
    done.set()
    await asyncio.wait_for(tail, timeout=60)
    elapsed = time.perf_counter() - started

    assert len(written) == WRITERS * EVENTS_PER_WRITER
    assert len(seen) == len(set(seen)), "an event was read twice"
    assert seen == sorted(seen), "events were read out of position order"
    assert set(seen) == written, f"{len(written - set(seen))} events were skipped"
    for stream_id, read_versions in versions.items():
        assert read_versions == list(range(1, len(read_versions) + 1)), stream_id
    print(
        f"\ngap test: {len(seen)} events, {WRITERS} writers, {elapsed:.1f}s, "
        f"{len(seen) / elapsed:.0f} events/s with commit delays"
    )
