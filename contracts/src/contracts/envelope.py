"""The envelope: what the store records around an event, and what travels on the bus."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import Field, SerializeAsAny, ValidationError

from contracts.base import Contract, Event
from contracts.errors import InvalidEventData
from contracts.registry import event_model
from contracts.upcasting import upcast


class Metadata(Contract):
    correlation_id: UUID | None = Field(default=None, description="the job this belongs to")
    causation_id: UUID | None = Field(default=None, description="the event that caused this")
    actor: str | None = None
    trace: dict[str, str] = Field(default_factory=dict)


class RecordedEvent(Contract):
    position: int
    event_id: UUID
    stream_id: str
    stream_version: int = Field(ge=1)
    type: str
    schema_version: int
    occurred_at: datetime
    metadata: Metadata
    data: SerializeAsAny[Event]

    @property
    def correlation_id(self) -> UUID | None:
        return self.metadata.correlation_id

    @property
    def causation_id(self) -> UUID | None:
        return self.metadata.causation_id

    @property
    def actor(self) -> str | None:
        return self.metadata.actor

    def to_wire(self) -> dict[str, Any]:
        """The JSON form published on the bus and served by the feed."""
        return self.model_dump(mode="json")


def decode_event(event_type: str, schema_version: int, data: dict[str, Any]) -> Event:
    """Build the current model of an event from any stored version of its payload."""
    model = event_model(event_type)
    current = upcast(event_type, schema_version, model.schema_version, data)
    try:
        return model.model_validate(current)
    except ValidationError as error:
        raise InvalidEventData(f"{event_type} v{schema_version}: {error}") from error


def recorded_from_wire(wire: Any) -> RecordedEvent:
    """Parse a bus message; raises a ContractError subclass for anything it cannot trust."""
    if not isinstance(wire, dict):
        raise InvalidEventData(f"not an event envelope: a JSON {type(wire).__name__}")
    try:
        event_type, version, data = wire["type"], wire["schema_version"], wire["data"]
    except KeyError as error:
        raise InvalidEventData(f"not an event envelope: no {error}") from error
    if not isinstance(event_type, str):
        raise InvalidEventData("event type is not a string")
    # Only a JSON integer: int() would take "7", 7.9 or true, and raise OverflowError on 1e400.
    if isinstance(version, bool) or not isinstance(version, int):
        raise InvalidEventData(f"schema version is not an integer: {_excerpt(version)}")
    if not isinstance(data, dict):
        raise InvalidEventData("event data is not an object")
    event = decode_event(event_type, version, data)
    try:
        return RecordedEvent.model_validate(
            {**wire, "data": event, "schema_version": event.schema_version}
        )
    except ValidationError as error:
        raise InvalidEventData(f"bad envelope: {error}") from error


def _excerpt(value: object, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}…"
