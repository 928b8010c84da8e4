"""A rendered export: its bytes and what had to be dropped to make them valid."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RenderedDocument:
    content: bytes
    media_type: str
    dropped_characters: int = 0
