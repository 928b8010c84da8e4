"""Turning events into rows and rows back into `RecordedEvent`s."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import ValidationError
from pydantic_core import PydanticSerializationError

from contracts import Event, Metadata, RecordedEvent, decode_event
from contracts.errors import InvalidEventData
from infra.eventstore.api import RawEvent, check_registered


def encode_event(event: Event) -> str:
    """The payload as JSON, refusing an event that is not a valid instance of its model."""
    model = check_registered(event)
    # Instances built normally are valid; this catches `model_construct` and mutation bugs.
    payload = event.model_dump_json(warnings=False)
    try:
        model.model_validate_json(payload)
    except (PydanticSerializationError, ValidationError) as error:
        raise InvalidEventData(f"{model.type}: {error}") from error
    return payload


def recorded(
    *,
    position: int,
    event_id: UUID,
    stream_id: str,
    stream_version: int,
    event: Event,
    metadata: Metadata,
    recorded_at: datetime,
) -> RecordedEvent:
    # Built from values the store itself just validated: skip a second validation pass.
    return RecordedEvent.model_construct(
        position=position,
        event_id=event_id,
        stream_id=stream_id,
        stream_version=stream_version,
        type=event.type,
        schema_version=event.schema_version,
        occurred_at=recorded_at,
        metadata=metadata,
        data=event,
    )


def decode_raw(raw: RawEvent) -> RecordedEvent:
    data: dict[str, Any] = json.loads(raw.data)
    event = decode_event(raw.type, raw.schema_version, data)
    return recorded(
        position=raw.position,
        event_id=raw.event_id,
        stream_id=raw.stream_id,
        stream_version=raw.stream_version,
        event=event,
        metadata=Metadata.model_validate_json(raw.metadata),
        recorded_at=raw.recorded_at,
    )


def decode_many(raws: Sequence[RawEvent]) -> list[RecordedEvent]:
    return [decode_raw(raw) for raw in raws]
