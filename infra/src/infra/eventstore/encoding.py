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
from contracts.registry import event_model
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
    # Plain construction: the event and metadata are instances, which pydantic passes through
    # without validating them again, so this costs half of `model_construct`'s field loop.
    return RecordedEvent(
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


def decode_raw(raw: RawEvent, metadata: dict[str, Metadata] | None = None) -> RecordedEvent:
    """`metadata`: metadata already decoded, by its JSON text; events appended together share
    theirs, and a frozen `Metadata` can be shared too."""
    known = metadata.get(raw.metadata) if metadata is not None else None
    if known is None:
        known = Metadata.model_validate_json(raw.metadata)
        if metadata is not None:
            metadata[raw.metadata] = known
    return recorded(
        position=raw.position,
        event_id=raw.event_id,
        stream_id=raw.stream_id,
        stream_version=raw.stream_version,
        event=_decode_data(raw),
        metadata=known,
        recorded_at=raw.recorded_at,
    )


def _decode_data(raw: RawEvent) -> Event:
    model = event_model(raw.type)
    if raw.schema_version != model.schema_version:
        data: dict[str, Any] = json.loads(raw.data)
        return decode_event(raw.type, raw.schema_version, data)  # upcast first
    # The current version, as `encode_event` checked it: pydantic reads the text, no dict between.
    try:
        return model.model_validate_json(raw.data)
    except ValidationError as error:
        raise InvalidEventData(f"{raw.type} v{raw.schema_version}: {error}") from error


def decode_many(raws: Sequence[RawEvent]) -> list[RecordedEvent]:
    metadata: dict[str, Metadata] = {}
    return [decode_raw(raw, metadata) for raw in raws]
