"""`InMemoryEventStore`: the same contract in memory, for fast unit tests of handlers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from uuid import UUID, uuid4

from contracts import Event, Metadata, RecordedEvent
from contracts.errors import TooManyEventsInTransaction, WrongExpectedVersion
from infra.eventstore.api import ANY, Appended, Idempotency, RawEvent, StreamAppend
from infra.eventstore.encoding import decode_raw, encode_event
from infra.eventstore.postgres import MAX_EVENTS_PER_TRANSACTION


class InMemoryEventStore:
    def __init__(self) -> None:
        self._log: list[RawEvent] = []
        self._versions: dict[str, int] = {}
        self._processed: set[tuple[str, UUID]] = set()

    async def close(self) -> None:
        return None

    async def append(
        self,
        stream_id: str,
        events: Sequence[Event],
        *,
        expected_version: int | None = ANY,
        metadata: Metadata | None = None,
    ) -> list[Appended]:
        result = await self.append_streams(
            [StreamAppend(stream_id, events, expected_version)], metadata=metadata
        )
        assert result is not None
        return result

    async def append_streams(
        self,
        appends: Sequence[StreamAppend],
        *,
        metadata: Metadata | None = None,
        idempotency: Idempotency | None = None,
    ) -> list[Appended] | None:
        metadata = metadata or Metadata()
        payloads = [[encode_event(e) for e in a.events] for a in appends]
        if sum(len(p) for p in payloads) > MAX_EVENTS_PER_TRANSACTION:
            raise TooManyEventsInTransaction("too many events in one append")
        if idempotency and (idempotency.consumer, idempotency.event_id) in self._processed:
            return None
        versions = dict(self._versions)
        for append in appends:
            actual = versions.get(append.stream_id, 0)
            if append.expected_version is not ANY and append.expected_version != actual:
                raise WrongExpectedVersion(append.stream_id, append.expected_version, actual)
            versions[append.stream_id] = actual + len(append.events)
        now, meta = datetime.now(UTC), metadata.model_dump_json()
        out: list[Appended] = []
        for append, stream_payloads in zip(appends, payloads, strict=True):
            version = self._versions.get(append.stream_id, 0)
            for event, payload in zip(append.events, stream_payloads, strict=True):
                version += 1
                event_id, position = uuid4(), len(self._log) + 1
                self._log.append(
                    RawEvent(
                        position,
                        event_id,
                        append.stream_id,
                        version,
                        event.type,
                        event.schema_version,
                        payload,
                        meta,
                        now,
                    )
                )
                out.append(Appended(event_id, append.stream_id, version, position))
            self._versions[append.stream_id] = version
        if idempotency:
            self._processed.add((idempotency.consumer, idempotency.event_id))
        return out

    async def read_stream(self, stream_id: str, *, from_version: int = 1) -> list[RecordedEvent]:
        return [
            decode_raw(raw)
            for raw in self._log
            if raw.stream_id == stream_id and raw.stream_version >= from_version
        ]

    async def stream_version(self, stream_id: str) -> int:
        return self._versions.get(stream_id, 0)

    async def read_all_raw(
        self, *, after: int = 0, limit: int = 1000, types: Sequence[str] = ()
    ) -> list[RawEvent]:
        wanted = set(types)
        selected = [r for r in self._log[after:] if not wanted or r.type in wanted]
        return selected[:limit]

    async def read_all(
        self, *, after: int = 0, limit: int = 1000, types: Sequence[str] = ()
    ) -> list[RecordedEvent]:
        return [
            decode_raw(raw)
            for raw in await self.read_all_raw(after=after, limit=limit, types=types)
        ]

    async def is_processed(self, consumer: str, event_id: UUID) -> bool:
        return (consumer, event_id) in self._processed
