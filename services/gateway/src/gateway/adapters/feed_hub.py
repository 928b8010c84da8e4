"""One tailer per process reads the event store and fans new events out to feed clients.

`subscribe` runs without awaiting, and the tailer hands a batch to every subscriber and only
then advances `position`, also without awaiting in between: a subscriber therefore receives
every event after the position `subscribe` returned, and everything up to that position is
already below the store's read horizon, so a client can replay it from the store.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import OrderedDict, deque
from uuid import UUID

from gateway.adapters.outages import database_unreachable, describe
from gateway.domain.feed import FeedEvent, FeedFilter
from infra.eventstore import PostgresEventStore, RawEvent
from infra.polling import IdleBackoff

log = logging.getLogger(__name__)

KEY_CHANGES = {"api_key.revoked": "revoked", "api_key.grants_changed": "changed"}


class FeedSubscription:
    def __init__(self, feed_filter: FeedFilter, limit: int, key_id: str | None = None) -> None:
        self.filter, self.limit, self.key_id = feed_filter, limit, key_id
        self.events: deque[FeedEvent] = deque()
        self.ready = asyncio.Event()
        self.overflowed = False
        self.key_change: str | None = None
        """`revoked` or `changed` once the key it was opened with is: the feed ends."""

    def end(self, key_change: str) -> None:
        self.key_change = key_change
        self.ready.set()

    def offer(self, events: list[FeedEvent]) -> None:
        if self.overflowed:
            return
        matched = [e for e in events if self.filter.matches(e)]
        if not matched:
            return
        room = self.limit - len(self.events)
        self.events.extend(matched[:room])
        if len(matched) > room:
            # Keep a gap-free prefix and stop: the client resumes from the last event it got.
            self.overflowed = True
        self.ready.set()


class CorpusResolver:
    """The corpus of each stream: from events that name it, else from the stream's first event."""

    def __init__(self, store: PostgresEventStore, size: int = 200_000) -> None:
        self.store, self.size = store, size
        self.known: OrderedDict[str, UUID | None] = OrderedDict()

    async def corpus_of(self, stream_id: str, data: dict[str, object]) -> UUID | None:
        named = data.get("corpus_id")
        if isinstance(named, str):
            return self._remember(stream_id, UUID(named))
        if stream_id in self.known:
            return self.known[stream_id]
        first = await self.store.first_event(stream_id)
        corpus = json.loads(first.data).get("corpus_id") if first is not None else None
        return self._remember(stream_id, UUID(corpus) if isinstance(corpus, str) else None)

    def _remember(self, stream_id: str, corpus_id: UUID | None) -> UUID | None:
        self.known[stream_id] = corpus_id
        if len(self.known) > self.size:
            self.known.popitem(last=False)
        return corpus_id


class FeedHub:
    def __init__(
        self,
        store: PostgresEventStore,
        *,
        queue_events: int,
        poll_seconds: float,
        batch_size: int = 1000,
    ) -> None:
        self.store, self.resolver = store, CorpusResolver(store)
        self.queue_events, self.poll_seconds, self.batch_size = (
            queue_events,
            poll_seconds,
            batch_size,
        )
        self.position = 0
        self.subscribers: set[FeedSubscription] = set()
        self.unkeyed: set[FeedSubscription] = set()
        self.by_job: dict[UUID | None, set[FeedSubscription]] = {}
        self.by_corpus: dict[UUID | None, set[FeedSubscription]] = {}
        self.by_key: dict[str, set[FeedSubscription]] = {}
        self.started = asyncio.Event()

    async def to_feed(self, raw: RawEvent) -> FeedEvent:
        data = json.loads(raw.data)
        job = data.get("job_id") or json.loads(raw.metadata).get("correlation_id")
        message = (
            f'{{"position":{raw.position},"type":{json.dumps(raw.type)},'
            f'"stream_id":{json.dumps(raw.stream_id)},'
            f'"occurred_at":"{raw.recorded_at.isoformat()}","data":{raw.data}}}'
        )
        return FeedEvent(
            position=raw.position,
            type=raw.type,
            stream_id=raw.stream_id,
            corpus_id=await self.resolver.corpus_of(raw.stream_id, data),
            job_id=UUID(job) if isinstance(job, str) else None,
            message=message,
        )

    def subscribe(
        self, feed_filter: FeedFilter, key_id: str | None = None
    ) -> tuple[FeedSubscription, int]:
        """`key_id`: the subscription ends when that key is revoked or its grants change."""
        subscription = FeedSubscription(feed_filter, self.queue_events, key_id)
        self._bucket(feed_filter).add(subscription)
        self.subscribers.add(subscription)
        if key_id is not None:
            self.by_key.setdefault(key_id, set()).add(subscription)
        return subscription, self.position

    def unsubscribe(self, subscription: FeedSubscription) -> None:
        self.subscribers.discard(subscription)
        if subscription.key_id is not None:
            watching = self.by_key.get(subscription.key_id, set())
            watching.discard(subscription)
            if not watching:
                self.by_key.pop(subscription.key_id, None)
        feed_filter = subscription.filter
        self._bucket(feed_filter).discard(subscription)
        index, key = (
            (self.by_job, feed_filter.job_id)
            if feed_filter.job_id is not None
            else (self.by_corpus, feed_filter.corpus_id)
        )
        if key is not None and not index.get(key):
            index.pop(key, None)

    def _bucket(self, feed_filter: FeedFilter) -> set[FeedSubscription]:
        """Subscribers are indexed by job, else corpus: an event visits only those it may match."""
        if feed_filter.job_id is not None:
            return self.by_job.setdefault(feed_filter.job_id, set())
        if feed_filter.corpus_id is not None:
            return self.by_corpus.setdefault(feed_filter.corpus_id, set())
        return self.unkeyed

    async def run(self, stop: asyncio.Event) -> None:
        self.position = await self.store.readable_position()
        self.started.set()
        wakeup = self.store.wakeup()
        backoff = IdleBackoff(self.poll_seconds, max(self.poll_seconds, 0.05), wakeup)
        paused = False
        try:
            while not stop.is_set():
                try:
                    advanced = await self._tail_once()
                except Exception as error:
                    if not database_unreachable(error):
                        log.exception("feed tailer failed; retrying")
                    elif not paused:  # once per outage, not every second
                        log.warning("feed paused: database unreachable (%s)", describe(error))
                    paused, advanced = True, False
                    await asyncio.sleep(1.0)
                    continue
                if paused:
                    log.info("feed resumed at position %d", self.position)
                    paused = False
                if advanced:
                    backoff.worked()
                else:
                    await backoff.idle(stop)
        finally:
            wakeup.close()

    async def _tail_once(self) -> bool:
        raws = await self.store.read_all_raw(after=self.position, limit=self.batch_size)
        if not raws:
            return False
        self.fan_out([await self.to_feed(raw) for raw in raws])
        return True

    def fan_out(self, events: list[FeedEvent]) -> None:
        """Hand events to their subscribers, then advance: never await in here (see module doc)."""
        routed: dict[FeedSubscription, list[FeedEvent]] = {s: events for s in self.unkeyed}
        for event in events:
            for keyed in (self.by_job.get(event.job_id), self.by_corpus.get(event.corpus_id)):
                for subscription in keyed or ():
                    routed.setdefault(subscription, []).append(event)
        for subscription, offered in routed.items():
            subscription.offer(offered)
        for event in events:
            change = KEY_CHANGES.get(event.type)
            if change is not None and self.by_key:
                for subscription in self.by_key.get(event.stream_id.split("-", 1)[1], ()):
                    subscription.end(change)
        self.position = events[-1].position
