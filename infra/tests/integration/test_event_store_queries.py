"""What readers ask of the store besides events: where the readable log ends, a stream's first
event, which streams are missing, and how far a consumer lags."""

from __future__ import annotations

import json
from uuid import uuid4

import pytest

from contracts import CorpusCreated, JobCancelled
from infra.eventstore import PostgresEventStore
from infra.eventstore.checkpoints import save_checkpoint

pytestmark = pytest.mark.integration


def created(slug: str) -> CorpusCreated:
    return CorpusCreated(corpus_id=uuid4(), slug=slug, title=slug, profile="p")


async def test_the_readable_position_stops_below_an_open_transaction(
    event_store: PostgresEventStore,
) -> None:
    assert await event_store.readable_position() == 0
    [first] = await event_store.append("corpus-a", [created("a")])
    assert await event_store.readable_position() == first.position
    async with event_store.pool.acquire() as connection, connection.transaction():
        # An append still open holds the horizon: what commits after it stays unreadable.
        await event_store.append("corpus-b", [created("b")], connection=connection)
        [later] = await event_store.append("corpus-c", [created("c")])
        assert await event_store.head_position() == later.position
        assert await event_store.readable_position() == first.position
    assert await event_store.readable_position() == later.position


async def test_a_streams_first_event_and_the_streams_that_have_none(
    event_store: PostgresEventStore,
) -> None:
    event = created("psalter")
    await event_store.append("corpus-p", [event, created("again")])
    first = await event_store.first_event("corpus-p")
    assert first is not None
    assert json.loads(first.data)["slug"] == "psalter"
    assert (first.stream_version, first.type) == (1, "corpus.created")
    assert await event_store.first_event("corpus-none") is None
    missing = await event_store.missing_streams(["corpus-z", "corpus-p", "corpus-y", "corpus-z"])
    assert missing == ["corpus-y", "corpus-z"]


async def test_lag_counts_past_the_checkpoint_by_type_up_to_a_bound(
    event_store: PostgresEventStore,
) -> None:
    appended = []
    for n in range(5):
        appended += await event_store.append(f"corpus-{n}", [created(str(n))])
        await event_store.append(f"job-{n}", [JobCancelled(job_id=uuid4())])
    corpus = ["corpus.created"]
    assert await event_store.lag("titles", corpus, at_most=100) == 5
    assert await event_store.lag("titles", at_most=100) == 10
    assert await event_store.lag("titles", corpus, at_most=3) == 3
    await save_checkpoint(event_store.pool, "titles", appended[1].position)
    assert await event_store.lag("titles", corpus, at_most=100) == 3
