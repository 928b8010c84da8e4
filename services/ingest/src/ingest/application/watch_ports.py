"""What the watch sweep needs: the watched manifests' read model, and its settings."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol
from uuid import UUID

from contracts import PageRegistered
from ingest.domain.watch import WatchedManifest


class WatchedManifests(Protocol):
    async def due(self, limit: int) -> list[WatchedManifest]:
        """Manifests whose next check time has come, the most overdue first."""
        ...

    async def not_modified(self, manuscript_id: UUID, *, delay: float) -> None: ...

    async def checked(
        self,
        manuscript_id: UUID,
        *,
        etag: str | None,
        last_modified: str | None,
        registered: Sequence[PageRegistered],
        delay: float,
    ) -> None:
        """Record a fresh reading and the pages it registered; check again after `delay`."""
        ...

    async def failed(self, manuscript_id: UUID, *, reason: str, delay: float) -> None: ...


@dataclass(frozen=True)
class WatchSettings:
    min_interval_seconds: float = 60.0
    """No manifest is re-read more often, whatever its import asked."""
    poll_seconds: float = 5.0
    """How often the sweeping replica looks for due manifests."""
    lock_retry_seconds: float = 5.0
    """How often a standby replica tries to become the one that sweeps."""
    batch_size: int = 100
    concurrency: int = 4
    max_manifest_bytes: int = 64 << 20

    def delay(self, watched: WatchedManifest) -> float:
        return max(float(watched.interval_seconds), self.min_interval_seconds)
