"""The registry of event types: the one place that maps a `type` string to its model."""

from __future__ import annotations

from typing import TYPE_CHECKING

from contracts.errors import UnknownEventType

if TYPE_CHECKING:
    from contracts.base import Event

_EVENT_TYPES: dict[str, type[Event]] = {}


def register_event(model: type[Event]) -> None:
    known = _EVENT_TYPES.get(model.type)
    if known is not None and known is not model:
        raise ValueError(f"event type {model.type!r} is registered twice")
    _EVENT_TYPES[model.type] = model


def event_model(event_type: str) -> type[Event]:
    try:
        return _EVENT_TYPES[event_type]
    except KeyError:
        raise UnknownEventType(event_type) from None


def event_types() -> dict[str, type[Event]]:
    return dict(sorted(_EVENT_TYPES.items()))
