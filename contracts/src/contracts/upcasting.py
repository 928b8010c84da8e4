"""Upcasting on read: stored events are never rewritten, old versions are lifted when loaded.

An upcaster turns the payload of version N into version N+1; `upcast` chains them up to
the version the running code knows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from contracts.errors import UnsupportedSchemaVersion

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]

_UPCASTERS: dict[tuple[str, int], Upcaster] = {}


def upcaster(event_type: str, from_version: int) -> Callable[[Upcaster], Upcaster]:
    def register(function: Upcaster) -> Upcaster:
        _UPCASTERS[(event_type, from_version)] = function
        return function

    return register


def upcast(event_type: str, version: int, current: int, data: dict[str, Any]) -> dict[str, Any]:
    if version > current:
        raise UnsupportedSchemaVersion(event_type, version, current)
    while version < current:
        step = _UPCASTERS.get((event_type, version))
        if step is None:
            raise UnsupportedSchemaVersion(event_type, version, current)
        data = step(data)
        version += 1
    return data
