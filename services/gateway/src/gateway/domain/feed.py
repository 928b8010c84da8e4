"""What the live feed sends, and which events a client asked for."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID


@dataclass(frozen=True)
class FeedEvent:
    """One event as the feed sends it, with what filters need already extracted."""

    position: int
    type: str
    stream_id: str
    corpus_id: UUID | None
    job_id: UUID | None
    message: str
    """`{position, type, stream_id, occurred_at, data}` as JSON text."""


ADMIN_ONLY_PREFIX = "api_key."
"""Events about API keys (names, grants, hashes) are shown to admins only."""


@dataclass(frozen=True)
class FeedFilter:
    corpus_id: UUID | None = None
    job_id: UUID | None = None
    types: frozenset[str] = frozenset()
    admin: bool = True

    @classmethod
    def of(
        cls,
        corpus_id: UUID | None,
        job_id: UUID | None,
        types: Sequence[str] = (),
        *,
        admin: bool = True,
    ) -> FeedFilter:
        return cls(corpus_id, job_id, frozenset(t for t in types if t), admin)

    def matches(self, event: FeedEvent) -> bool:
        if self.types and event.type not in self.types:
            return False
        if not self.admin and event.type.startswith(ADMIN_ONLY_PREFIX):
            return False
        if self.corpus_id is not None and event.corpus_id != self.corpus_id:
            return False
        return self.job_id is None or event.job_id == self.job_id


def heartbeat(position: int) -> str:
    return f'{{"type":"heartbeat","position":{position}}}'
