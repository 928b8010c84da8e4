import asyncio

import pytest

from infra.messaging.backoff import Backoff


def test_waits_double_up_to_the_cap_with_at_least_half_of_each_step() -> None:
    backoff = Backoff(0.5, 4.0)
    steps = [backoff.step(n) for n in range(6)]
    assert steps == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    for _ in range(200):
        backoff.reset()
        delays = [backoff.next_delay() for _ in range(6)]
        assert all(step / 2 <= d <= step for d, step in zip(delays, steps, strict=True))


def test_jitter_spreads_the_waits() -> None:
    backoff = Backoff(1.0, 1.0)
    assert len({round(backoff.delay(0), 6) for _ in range(50)}) > 10


def test_a_huge_attempt_count_stays_at_the_cap() -> None:
    assert Backoff(0.1, 30.0).step(10_000) == 30.0


def test_nonsense_bounds_are_refused() -> None:
    with pytest.raises(ValueError, match="shortest"):
        Backoff(2.0, 1.0)


async def test_a_stop_ends_the_wait_at_once() -> None:
    backoff = Backoff(30.0, 30.0)
    stop = asyncio.Event()
    stop.set()
    await asyncio.wait_for(backoff.wait(stop), timeout=5.0)
    assert backoff.attempts == 1
