"""What only the PostgreSQL store can show: stored rows are facts, and old versions upcast."""

from __future__ import annotations

import json
from uuid import uuid4

import asyncpg
import pytest

from contracts import CorpusCreated
from contracts.errors import WrongExpectedVersion
from infra.eventstore import PostgresEventStore

pytestmark = pytest.mark.integration

V1_ROW = """
INSERT INTO events (position, event_id, stream_id, stream_version, type, schema_version,
                    data, metadata)
VALUES ((pg_current_xact_id()::text::bigint << 16), $1, $2, 1, 'corpus.created', 1,
        $3::jsonb, '{}'::jsonb)
"""


async def test_events_stored_as_v1_read_back_as_v2(event_store: PostgresEventStore) -> None:
    # A row as version 1 of the contract wrote it: no profile yet.
    corpus_id = uuid4()
    v1 = {"corpus_id": str(corpus_id), "slug": "psalter", "title": "Psalter"}
    await event_store.pool.execute(V1_ROW, uuid4(), "corpus-old", json.dumps(v1))

    (event,) = await event_store.read_stream("corpus-old")
    assert event.schema_version == 2
    assert event.data == CorpusCreated(
        corpus_id=corpus_id, slug="psalter", title="Psalter", profile="default"
    )
    (from_log,) = await event_store.read_all()
    assert from_log.data == event.data
    # The stored row itself is untouched.
    stored = await event_store.pool.fetchval("SELECT schema_version FROM events")
    assert stored == 1


async def test_stored_events_cannot_be_rewritten(event_store: PostgresEventStore) -> None:
    await event_store.append(
        "corpus-f", [CorpusCreated(corpus_id=uuid4(), slug="f", title="F", profile="p")]
    )
    with pytest.raises(asyncpg.RaiseError, match="append-only"):
        await event_store.pool.execute("UPDATE events SET type = 'x'")
    with pytest.raises(asyncpg.RaiseError, match="append-only"):
        await event_store.pool.execute("DELETE FROM events")
    assert await event_store.stream_version("corpus-f") == 1


async def test_an_append_in_the_callers_transaction_commits_or_rolls_back_with_it(
    event_store: PostgresEventStore,
) -> None:
    def created(slug: str) -> CorpusCreated:
        return CorpusCreated(corpus_id=uuid4(), slug=slug, title=slug, profile="p")

    # Rolled back: neither the event nor what the caller wrote beside it remains.
    class Abandoned(Exception):
        pass

    async def write_then_abandon() -> None:
        async with event_store.pool.acquire() as connection, connection.transaction():
            await event_store.append("corpus-t", [created("t")], connection=connection)
            await connection.execute("CREATE TABLE beside (n int)")
            raise Abandoned

    with pytest.raises(Abandoned):
        await write_then_abandon()
    assert await event_store.stream_version("corpus-t") == 0
    assert await event_store.pool.fetchval("SELECT to_regclass('beside')") is None

    # Committed: both, and a wrong expectation inside the transaction is reported as such.
    async with event_store.pool.acquire() as connection, connection.transaction():
        [appended] = await event_store.append(
            "corpus-t", [created("t")], expected_version=0, connection=connection
        )
        await connection.execute("CREATE TABLE beside (n int)")
    assert appended.stream_version == 1
    assert [e.stream_id for e in await event_store.read_all()] == ["corpus-t"]
    with pytest.raises(WrongExpectedVersion):
        async with event_store.pool.acquire() as connection, connection.transaction():
            await event_store.append(
                "corpus-t", [created("t")], expected_version=0, connection=connection
            )
    assert await event_store.stream_version("corpus-t") == 1
