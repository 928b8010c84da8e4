"""How far each durable consumer is behind: what autoscalers act on, shown to operators."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class ConsumerLag:
    name: str
    pending: int
    """Messages of the stream not yet delivered to the consumer."""
    ack_pending: int
    """Delivered to a replica, not yet acknowledged: work in progress."""
    redelivered: int
    waiting: int
    """Pull requests waiting for messages: idle replicas."""


class ConsumerLagSource(Protocol):
    async def consumers(self) -> Sequence[ConsumerLag]: ...


class LagUnavailable(Exception):
    """The broker could not be asked."""
