"""The behaviour every `EventStore` must show; mixed into one test class per adapter."""

from __future__ import annotations

import asyncio
from uuid import uuid4

import pytest

from contracts import CorpusCreated, JobCancelled, Metadata
from contracts.errors import InvalidEventData, UnknownEventType, WrongExpectedVersion
from infra.eventstore import ANY, NO_STREAM, EventStore, Idempotency, StreamAppend


def corpus_created(slug: str = "hours") -> CorpusCreated:
    return CorpusCreated(corpus_id=uuid4(), slug=slug, title=slug.title(), profile="default")


class EventStoreContract:
    """Subclasses provide a fixture `store` yielding an empty store."""

    async def test_appended_events_read_back_in_order(self, store: EventStore) -> None:
        events = [corpus_created(f"c{i}") for i in range(3)]
        metadata = Metadata(correlation_id=uuid4(), actor="tester")
        written = await store.append(
            "corpus-a", events, expected_version=NO_STREAM, metadata=metadata
        )
        read = await store.read_stream("corpus-a")
        assert [r.data for r in read] == events
        assert [r.stream_version for r in read] == [1, 2, 3]
        assert [r.event_id for r in read] == [w.event_id for w in written]
        assert [r.position for r in read] == [w.position for w in written]
        assert read[0].metadata == metadata
        assert await store.stream_version("corpus-a") == 3

    async def test_read_all_is_ordered_and_resumable(self, store: EventStore) -> None:
        for n in range(5):
            await store.append(f"corpus-{n}", [corpus_created()])
        everything = await store.read_all()
        positions = [e.position for e in everything]
        assert positions == sorted(positions)
        assert len(set(positions)) == 5
        rest = await store.read_all(after=positions[1], limit=2)
        assert [e.position for e in rest] == positions[2:4]

    async def test_read_all_filters_by_type(self, store: EventStore) -> None:
        await store.append("corpus-x", [corpus_created()])
        await store.append("job-x", [JobCancelled(job_id=uuid4())])
        cancelled = await store.read_all(types=["job.cancelled"])
        assert [e.type for e in cancelled] == ["job.cancelled"]

    async def test_wrong_expected_version_writes_nothing(self, store: EventStore) -> None:
        await store.append("corpus-b", [corpus_created()])
        with pytest.raises(WrongExpectedVersion):
            await store.append("corpus-b", [corpus_created()], expected_version=NO_STREAM)
        with pytest.raises(WrongExpectedVersion):
            await store.append("corpus-b", [corpus_created()], expected_version=5)
        assert await store.stream_version("corpus-b") == 1

    async def test_racing_appends_one_wins(self, store: EventStore) -> None:
        await store.append("corpus-race", [corpus_created()])

        async def contender() -> bool:
            try:
                await store.append("corpus-race", [corpus_created()], expected_version=1)
            except WrongExpectedVersion:
                return False
            return True

        outcomes = await asyncio.gather(*(contender() for _ in range(10)))
        assert outcomes.count(True) == 1
        assert await store.stream_version("corpus-race") == 2

    async def test_any_version_appends_all_succeed(self, store: EventStore) -> None:
        await asyncio.gather(*(store.append("corpus-any", [corpus_created()]) for _ in range(10)))
        versions = [e.stream_version for e in await store.read_stream("corpus-any")]
        assert versions == list(range(1, 11))

    async def test_multi_stream_append_is_all_or_nothing(self, store: EventStore) -> None:
        await store.append("corpus-m2", [corpus_created()])
        with pytest.raises(WrongExpectedVersion):
            await store.append_streams(
                [
                    StreamAppend("corpus-m1", [corpus_created()], NO_STREAM),
                    StreamAppend("corpus-m2", [corpus_created()], NO_STREAM),
                ]
            )
        assert await store.stream_version("corpus-m1") == 0
        written = await store.append_streams(
            [
                StreamAppend("corpus-m1", [corpus_created()], NO_STREAM),
                StreamAppend("corpus-m2", [corpus_created()], 1),
            ]
        )
        assert written is not None
        assert [e.stream_version for e in written] == [1, 2]

    async def test_invalid_payload_is_refused_and_nothing_written(self, store: EventStore) -> None:
        # model_construct skips validation, as a buggy producer might.
        bad = CorpusCreated.model_construct(corpus_id="not-a-uuid", slug="x", title="x")  # type: ignore[arg-type, call-arg]
        with pytest.raises(InvalidEventData, match=r"corpus\.created"):
            await store.append_streams(
                [
                    StreamAppend("corpus-ok", [corpus_created()]),
                    StreamAppend("corpus-bad", [bad]),
                ]
            )
        assert await store.read_all() == []

    async def test_unknown_event_type_is_refused(self, store: EventStore) -> None:
        class Unregistered(CorpusCreated):
            pass

        impostor = Unregistered(corpus_id=uuid4(), slug="x", title="x", profile="p")
        with pytest.raises(UnknownEventType):
            await store.append("corpus-u", [impostor])
        assert await store.read_all() == []

    async def test_idempotent_append_has_one_effect(self, store: EventStore) -> None:
        key = Idempotency("analyzer", uuid4())
        first = await store.append_streams(
            [StreamAppend("corpus-i", [corpus_created()])], idempotency=key
        )
        second = await store.append_streams(
            [StreamAppend("corpus-i", [corpus_created()])], idempotency=key
        )
        assert first is not None
        assert len(first) == 1
        assert second is None
        assert await store.stream_version("corpus-i") == 1
        assert await store.is_processed("analyzer", key.event_id)
        assert not await store.is_processed("exporter", key.event_id)

    async def test_idempotency_without_events_is_recorded(self, store: EventStore) -> None:
        key = Idempotency("exporter", uuid4())
        assert await store.append_streams([], idempotency=key) == []
        assert await store.append_streams([], idempotency=key) is None

    async def test_expected_any_is_default(self, store: EventStore) -> None:
        await store.append("corpus-d", [corpus_created()], expected_version=ANY)
        await store.append("corpus-d", [corpus_created()])
        assert await store.stream_version("corpus-d") == 2
