"""Projections: exactly-once application across replicas, and rebuilds equal to live models."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from uuid import uuid4

import asyncpg
import pytest

from contracts import CorpusCreated, JobCancelled, RecordedEvent
from infra.eventstore import PostgresEventStore
from infra.projections import ProjectionRunner

pytestmark = pytest.mark.integration


class CorpusTitles:
    """A tiny read model: corpus titles, and how many events each stream has had."""

    name = "corpus-titles"
    event_types: Sequence[str] = ("corpus.created",)

    async def apply(self, connection: asyncpg.Connection, events: Sequence[RecordedEvent]) -> None:
        await connection.executemany(
            """
            INSERT INTO corpus_titles (stream_id, title, seen) VALUES ($1, $2, 1)
            ON CONFLICT (stream_id) DO UPDATE
            SET title = excluded.title, seen = corpus_titles.seen + 1
            """,
            [(e.stream_id, e.data.title) for e in events if isinstance(e.data, CorpusCreated)],
        )

    async def reset(self, connection: asyncpg.Connection) -> None:
        await connection.execute("TRUNCATE corpus_titles")


@pytest.fixture
async def titles_table(event_store: PostgresEventStore) -> None:
    await event_store.pool.execute(
        "CREATE TABLE corpus_titles (stream_id text PRIMARY KEY, title text, seen int)"
    )


async def read_model(store: PostgresEventStore) -> list[tuple[str, str, int]]:
    rows = await store.pool.fetch("SELECT stream_id, title, seen FROM corpus_titles ORDER BY 1")
    return [tuple(row) for row in rows]


async def write(store: PostgresEventStore, streams: int, per_stream: int) -> None:
    for s in range(streams):
        await store.append(
            f"corpus-{s}",
            [
                CorpusCreated(corpus_id=uuid4(), slug="s", title=f"title {s}.{n}", profile="p")
                for n in range(per_stream)
            ],
        )
        await store.append(f"job-{s}", [JobCancelled(job_id=uuid4())])


@pytest.mark.usefixtures("titles_table")
async def test_two_replicas_apply_every_event_exactly_once(event_store: PostgresEventStore) -> None:
    stop = asyncio.Event()
    replicas = [ProjectionRunner(event_store, CorpusTitles(), batch_size=7) for _ in range(2)]
    tasks = [asyncio.create_task(r.run(stop)) for r in replicas]
    await asyncio.gather(*(write(event_store, 30, 3) for _ in range(2)))
    await replicas[0].catch_up()
    stop.set()
    await asyncio.gather(*tasks)

    model = await read_model(event_store)
    assert len(model) == 30
    assert all(seen == 6 for _, _, seen in model), "an event was applied twice or skipped"


@pytest.mark.usefixtures("titles_table")
async def test_rebuild_from_zero_equals_the_live_model(event_store: PostgresEventStore) -> None:
    runner = ProjectionRunner(event_store, CorpusTitles(), batch_size=50)
    await write(event_store, 20, 2)
    await runner.catch_up()
    await write(event_store, 25, 1)
    await runner.catch_up()
    live = await read_model(event_store)

    await event_store.pool.execute("UPDATE corpus_titles SET title = 'tampered'")
    assert await runner.rebuild() == 65
    assert await read_model(event_store) == live


@pytest.mark.usefixtures("titles_table")
async def test_an_idle_runner_looks_without_taking_a_transaction_id(
    event_store: PostgresEventStore,
) -> None:
    # Locking the checkpoint row is a write: done on every idle look, it would cost a commit
    # flushed to disk each time, and hold back every reader's horizon meanwhile.
    runner = ProjectionRunner(event_store, CorpusTitles())
    await write(event_store, 2, 1)
    await runner.catch_up()
    if event_store.notifications is not None:  # each notification takes a transaction id
        await event_store.notifications.sent()
    before = await event_store.pool.fetchval("SELECT pg_current_xact_id()::text::bigint")
    for _ in range(10):
        assert await runner.run_once() == 0
    after = await event_store.pool.fetchval("SELECT pg_current_xact_id()::text::bigint")
    assert after == before + 1, "an idle look took a transaction id"
    await write(event_store, 1, 1)
    assert await runner.run_once() == 1


class KeptTitles:
    """`corpus_titles` again, from counts kept in memory between batches: written as absolute
    values, so counts kept past another replica's batch or a failed one would show."""

    name = "kept-titles"
    event_types: Sequence[str] = ("corpus.created",)

    def __init__(self) -> None:
        self.kept: dict[str, int] = {}
        self.fail_next = False

    def forget(self) -> None:
        self.kept.clear()

    async def apply(self, connection: asyncpg.Connection, events: Sequence[RecordedEvent]) -> None:
        missing = list({e.stream_id for e in events} - set(self.kept))
        rows = await connection.fetch(
            "SELECT stream_id, seen FROM corpus_titles WHERE stream_id = ANY($1)", missing
        )
        self.kept.update((row["stream_id"], row["seen"]) for row in rows)
        for event in events:
            self.kept[event.stream_id] = self.kept.get(event.stream_id, 0) + 1
        await connection.executemany(
            """
            INSERT INTO corpus_titles (stream_id, title, seen) VALUES ($1, 't', $2)
            ON CONFLICT (stream_id) DO UPDATE SET seen = excluded.seen
            """,
            [(stream_id, self.kept[stream_id]) for stream_id in {e.stream_id for e in events}],
        )
        if self.fail_next:
            self.fail_next = False
            raise RuntimeError("the batch fails after its rows were changed in memory")

    async def reset(self, connection: asyncpg.Connection) -> None:
        await connection.execute("TRUNCATE corpus_titles")


@pytest.mark.usefixtures("titles_table")
async def test_rows_kept_between_batches_are_forgotten_when_they_may_be_stale(
    event_store: PostgresEventStore,
) -> None:
    projections = [KeptTitles(), KeptTitles()]
    replicas = [ProjectionRunner(event_store, p, batch_size=4) for p in projections]
    await write(event_store, 6, 5)
    turn = 0
    while await replicas[turn % 2].run_once():
        turn += 1
        if turn == 3:  # a failed batch, then the same replica again
            projections[turn % 2].fail_next = True
            with pytest.raises(RuntimeError):
                await replicas[turn % 2].run_once()
        if turn % 3 == 0:  # now and then the same replica twice: what it kept is right
            await replicas[turn % 2].run_once()
    assert turn > 5, "the replicas did not take turns"
    model = await read_model(event_store)
    assert [seen for _, _, seen in model] == [5] * 6, "stale kept rows were written back"

    await write(event_store, 6, 1)
    assert await replicas[0].rebuild() == 36
    assert [seen for _, _, seen in await read_model(event_store)] == [6] * 6
