"""Feed filtering and slow-client queues, rate limits, scopes and image sniffing."""

from __future__ import annotations

import asyncio
from uuid import uuid4

from hypothesis import given
from hypothesis import strategies as st

from gateway.adapters.feed_hub import FeedSubscription
from gateway.domain.auth import Principal
from gateway.domain.feed import FeedEvent, FeedFilter
from gateway.domain.rate_limit import FixedWindow
from gateway.domain.sniff import SIGNATURES, sniff_image


def event(position: int, type_: str = "page.analyzed", corpus=None, job=None) -> FeedEvent:  # type: ignore[no-untyped-def]
    return FeedEvent(position, type_, "page-x", corpus, job, "{}")


def test_filters_combine_corpus_job_and_types() -> None:
    corpus, job = uuid4(), uuid4()
    wanted = FeedFilter.of(corpus, job, ["page.analyzed", ""])
    assert wanted.matches(event(1, corpus=corpus, job=job))
    assert not wanted.matches(event(2, corpus=uuid4(), job=job))
    assert not wanted.matches(event(3, corpus=corpus, job=None))
    assert not wanted.matches(event(4, "page.exported", corpus, job))
    assert FeedFilter.of(None, None, [""]).matches(event(5))


async def test_an_overflowing_subscription_keeps_a_gap_free_prefix_and_stops() -> None:
    subscription = FeedSubscription(FeedFilter(), limit=3)
    subscription.offer([event(1), event(2)])
    subscription.offer([event(3), event(4)])
    subscription.offer([event(5)])
    assert [e.position for e in subscription.events] == [1, 2, 3]
    assert subscription.overflowed
    await asyncio.wait_for(subscription.ready.wait(), 1)


def test_a_fixed_window_passes_its_requests_then_says_how_long_to_wait() -> None:
    window = FixedWindow(requests=3, seconds=10)
    assert [window.wait(counted, 9.5) for counted in (1, 2, 3)] == [0, 0, 0]
    assert window.wait(4, 9.2) == 10  # whole seconds, rounded up
    assert window.wait(5, 0.01) == 1  # never "retry after 0"


def test_events_about_keys_reach_admins_only() -> None:
    key_event = event(1, "api_key.created")
    assert FeedFilter.of(None, None).matches(key_event)
    assert not FeedFilter.of(None, None, admin=False).matches(key_event)
    assert FeedFilter.of(None, None, admin=False).matches(event(2))


def test_scopes_imply_lesser_ones_and_corpus_limits_hide_others() -> None:
    corpus = uuid4()
    writer = Principal("k", frozenset({"write"}), frozenset({corpus}))
    assert writer.has_scope("read")
    assert writer.has_scope("write")
    assert not writer.has_scope("admin")
    assert writer.may_see(corpus)
    assert not writer.may_see(uuid4())
    assert not writer.may_see(None)
    assert Principal("a", frozenset({"admin"})).may_see(None)
    assert Principal("a", frozenset({"admin"})).may_manage_keys
    assert not Principal("a", frozenset({"admin"}), frozenset({corpus})).may_manage_keys
    assert not writer.may_manage_keys
    assert Principal("3f2a", frozenset({"read"}), name="ci/cd bot").actor == "ci/cd bot/3f2a"


@given(st.sampled_from(SIGNATURES), st.binary(max_size=32))
def test_every_signature_is_recognised_whatever_follows(signature, tail: bytes) -> None:  # type: ignore[no-untyped-def]
    magic, offset, media_type = signature
    prefix = b"RIFF\x00\x00\x00\x00" if media_type == "image/webp" else b"\x00" * offset
    assert sniff_image(prefix + magic + tail) == media_type


@given(st.binary(max_size=16))
def test_other_bytes_are_not_images(head: bytes) -> None:
    known = any(head[offset : offset + len(magic)] == magic for magic, offset, _ in SIGNATURES)
    assert (sniff_image(head) is not None) == known or head[8:12] == b"WEBP"


def test_the_hub_routes_live_events_to_matching_subscribers_only() -> None:
    from gateway.adapters.feed_hub import FeedHub

    corpus, job, other = uuid4(), uuid4(), uuid4()
    hub = FeedHub(None, queue_events=100, poll_seconds=1)  # type: ignore[arg-type]
    everyone, _ = hub.subscribe(FeedFilter())
    by_job, _ = hub.subscribe(FeedFilter.of(None, job))
    by_corpus, _ = hub.subscribe(FeedFilter.of(corpus, None, ["page.analyzed"]))
    both, start = hub.subscribe(FeedFilter.of(other, job))
    assert start == 0
    hub.fan_out(
        [
            event(1, corpus=corpus, job=job),
            event(2, "page.exported", corpus=corpus),
            event(3, corpus=other, job=job),
            event(4, corpus=corpus),
        ]
    )
    assert hub.position == 4
    assert [e.position for e in everyone.events] == [1, 2, 3, 4]
    assert [e.position for e in by_job.events] == [1, 3]
    assert [e.position for e in by_corpus.events] == [1, 4]
    assert [e.position for e in both.events] == [3]
    for subscription in (everyone, by_job, by_corpus, both):
        hub.unsubscribe(subscription)
    assert (hub.subscribers, hub.unkeyed, hub.by_job, hub.by_corpus) == (set(), set(), {}, {})
