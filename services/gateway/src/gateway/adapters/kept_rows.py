"""Read-model rows kept between projection batches: the most recently used, up to a bound.

A page's events come close together (registered, normalised, analysed, exported), and every
event of an import touches its job: kept rows spare loading them again batch after batch.
They are right only while the runner says so (`infra.projections.Remembering`).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from typing import Generic, TypeVar

Key = TypeVar("Key", bound=Hashable)
Row = TypeVar("Row")


class KeptRows(Generic[Key, Row]):
    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._rows: dict[Key, Row] = {}  # insertion order: least recently used first

    def take(self, keys: Iterable[Key]) -> tuple[dict[Key, Row], list[Key]]:
        """The rows kept among `keys`, and the keys to load."""
        found: dict[Key, Row] = {}
        missing: list[Key] = []
        for key in keys:
            row = self._rows.pop(key, None)
            if row is None:
                missing.append(key)
            else:
                found[key] = self._rows[key] = row  # now the most recently used
        return found, missing

    def keep(self, rows: Mapping[Key, Row]) -> None:
        for key, row in rows.items():
            self._rows.pop(key, None)
            self._rows[key] = row
        for key in list(self._rows)[: max(len(self._rows) - self.capacity, 0)]:
            del self._rows[key]

    def clear(self) -> None:
        self._rows.clear()

    def __len__(self) -> int:
        return len(self._rows)
