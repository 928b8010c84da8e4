"""The event store's port: what services may ask of it, whatever holds the events."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from contracts import Event, Metadata, RecordedEvent
from contracts.errors import UnknownEventType
from contracts.registry import event_model

ANY = None
"""`expected_version=ANY`: append whatever the stream's version."""
NO_STREAM = 0
"""`expected_version=NO_STREAM`: the stream must not exist yet."""


@dataclass(frozen=True)
class StreamAppend:
    stream_id: str
    events: Sequence[Event]
    expected_version: int | None = ANY


@dataclass(frozen=True)
class Idempotency:
    """Record that `consumer` handled `event_id` in the same transaction as the appends."""

    consumer: str
    event_id: UUID


@dataclass(frozen=True, slots=True)
class Appended:
    """Where an appended event landed."""

    event_id: UUID
    stream_id: str
    stream_version: int
    position: int


@dataclass(frozen=True)
class RawEvent:
    """A stored event as text, for hot paths that forward it without decoding (relay, feed)."""

    position: int
    event_id: UUID
    stream_id: str
    stream_version: int
    type: str
    schema_version: int
    data: str
    metadata: str
    recorded_at: datetime

    def to_wire_json(self) -> str:
        """The same JSON as `RecordedEvent.to_wire`, without parsing the payload."""
        return (
            f'{{"position":{self.position},"event_id":"{self.event_id}",'
            f'"stream_id":{_json_string(self.stream_id)},"stream_version":{self.stream_version},'
            f'"type":{_json_string(self.type)},"schema_version":{self.schema_version},'
            f'"occurred_at":"{self.recorded_at.isoformat()}",'
            f'"metadata":{self.metadata},"data":{self.data}}}'
        )


def _json_string(value: str) -> str:
    import json

    return json.dumps(value)


class EventStore(Protocol):
    async def append(
        self,
        stream_id: str,
        events: Sequence[Event],
        *,
        expected_version: int | None = ANY,
        metadata: Metadata | None = None,
    ) -> list[Appended]: ...

    async def append_streams(
        self,
        appends: Sequence[StreamAppend],
        *,
        metadata: Metadata | None = None,
        idempotency: Idempotency | None = None,
    ) -> list[Appended] | None:
        """Append to several streams atomically; None when `idempotency` was already recorded."""
        ...

    async def read_stream(
        self, stream_id: str, *, from_version: int = 1
    ) -> list[RecordedEvent]: ...

    async def stream_version(self, stream_id: str) -> int: ...

    async def read_all(
        self, *, after: int = 0, limit: int = 1000, types: Sequence[str] = ()
    ) -> list[RecordedEvent]: ...

    async def read_all_raw(
        self, *, after: int = 0, limit: int = 1000, types: Sequence[str] = ()
    ) -> list[RawEvent]: ...

    async def is_processed(self, consumer: str, event_id: UUID) -> bool: ...

    async def close(self) -> None: ...


def check_registered(event: Event) -> type[Event]:
    """The model an event must be an instance of, or UnknownEventType."""
    event_type = getattr(type(event), "type", None)
    if not isinstance(event_type, str):
        raise UnknownEventType(repr(type(event).__name__))
    model = event_model(event_type)
    if type(event) is not model:
        raise UnknownEventType(f"{event_type} ({type(event).__qualname__} is not its model)")
    return model
