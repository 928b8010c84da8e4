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
from collections.abc import AsyncIterator

from gateway.adapters.feed_hub import FeedHub
from gateway.domain.feed import FeedEvent, FeedFilter, heartbeat

REPLAY_BATCH = 500


class FeedSession:
    def __init__(
        self, hub: FeedHub, after: int, feed_filter: FeedFilter, heartbeat_seconds: float
    ) -> None:
        self.hub, self.filter, self.heartbeat_seconds = hub, feed_filter, heartbeat_seconds
        self.seen = after
        """Every event at or below `seen` was sent or did not match: resuming from it is safe."""
        self.overflowed = False

    async def messages(self) -> AsyncIterator[tuple[int | None, str]]:
        """(position, JSON text) per event; (None, heartbeat) when idle."""
        await self.hub.started.wait()
        while self.seen < self.hub.position:
            async for event in self._replay(upto=self.hub.position):
                yield event.position, event.message
        subscription, start = self.hub.subscribe(self.filter)
        try:
            async for event in self._replay(upto=start):
                yield event.position, event.message
            while True:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(subscription.ready.wait(), self.heartbeat_seconds)
                subscription.ready.clear()
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
