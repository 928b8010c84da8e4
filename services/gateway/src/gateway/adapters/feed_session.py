"""One client's feed: replay from the store, then switch to the hub's live events.

1. Replay from the store, without subscribing, until the client reaches the tailer's position
   (a long replay would otherwise overflow the client's live queue).
2. Subscribe, which returns the tailer's position P; replay the few events up to P from the
   store; every event after P arrives through the subscription, so nothing is lost.
3. Deliver live events, skipping any at or below the last position sent: nothing is repeated.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from gateway.adapters.feed_hub import FeedHub
from gateway.domain.auth import Principal, StoredKey
from gateway.domain.feed import FeedEvent, FeedFilter, heartbeat

REPLAY_BATCH = 500


@dataclass(frozen=True)
class KeyWatch:
    """The key a feed was opened with: the feed ends when it is revoked, changed or expires."""

    principal: Principal
    current: Callable[[str], Awaitable[StoredKey | None]]
    """The key as stored now, by id: checked once the subscription is in place, for a change
    that the hub passed on before it was."""

    async def change(self) -> str | None:
        stored = await self.current(self.principal.key_id)
        if stored is None or stored.revoked:
            return "revoked"
        if stored.expired:
            return "expired"
        return "changed" if stored.principal != self.principal else None

    def seconds_left(self, heartbeat_seconds: float) -> float:
        expires_at = self.principal.expires_at
        if expires_at is None:
            return heartbeat_seconds
        return min(heartbeat_seconds, max(0.0, (expires_at - datetime.now(UTC)).total_seconds()))


class FeedSession:
    def __init__(
        self,
        hub: FeedHub,
        after: int,
        feed_filter: FeedFilter,
        heartbeat_seconds: float,
        key: KeyWatch | None = None,
    ) -> None:
        self.hub, self.filter, self.heartbeat_seconds = hub, feed_filter, heartbeat_seconds
        self.key = key
        self.seen = after
        """Every event at or below `seen` was sent or did not match: resuming from it is safe."""
        self.overflowed = False
        self.key_change: str | None = None
        """Why the feed ended early: its key was `revoked`, `changed` or `expired`."""

    async def messages(self) -> AsyncIterator[tuple[int | None, str]]:
        """(position, JSON text) per event; (None, heartbeat) when idle."""
        await self.hub.started.wait()
        while self.seen < self.hub.position:
            async for event in self._replay(upto=self.hub.position):
                yield event.position, event.message
        key_id = self.key.principal.key_id if self.key else None
        subscription, start = self.hub.subscribe(self.filter, key_id)
        try:
            if self.key is not None and (change := await self.key.change()):
                self.key_change = change
                return
            async for event in self._replay(upto=start):
                yield event.position, event.message
            while True:
                wait = self._seconds_left()
                if wait > 0:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(subscription.ready.wait(), wait)
                subscription.ready.clear()
                if subscription.key_change or self._seconds_left() == 0:
                    self.key_change = subscription.key_change or "expired"
                    return
                if not subscription.events and not subscription.overflowed:
                    self.seen = max(self.seen, self.hub.position)
                    yield None, heartbeat(self.seen)
                while subscription.events:
                    event = subscription.events.popleft()
                    if event.position > self.seen:
                        self.seen = event.position
                        yield event.position, event.message
                if subscription.overflowed:
                    self.overflowed = True
                    return
        finally:
            self.hub.unsubscribe(subscription)

    def _seconds_left(self) -> float:
        """Until the next heartbeat, or until the key expires if that comes first (then 0)."""
        return self.key.seconds_left(self.heartbeat_seconds) if self.key else self.heartbeat_seconds

    async def _replay(self, upto: int) -> AsyncIterator[FeedEvent]:
        while self.seen < upto:
            raws = await self.hub.store.read_all_raw(
                after=self.seen, limit=REPLAY_BATCH, types=sorted(self.filter.types)
            )
            for raw in raws:
                if raw.position > upto:
                    self.seen = upto
                    return
                event = await self.hub.to_feed(raw)
                self.seen = raw.position
                if self.filter.matches(event):
                    yield event
            if len(raws) < REPLAY_BATCH:
                # The store holds nothing more up to `upto`: the tailer already read past it.
                self.seen = max(self.seen, upto)
                return
