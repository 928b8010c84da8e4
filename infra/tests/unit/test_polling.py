import asyncio

from infra.polling import IdleBackoff
from infra.wakeups import Signal


async def test_idle_waits_double_up_to_the_cap_and_work_resets_them() -> None:
    backoff = IdleBackoff(0.001, 0.004)
    stop = asyncio.Event()
    waits = []
    for _ in range(4):
        waits.append(backoff.current)
        await backoff.idle(stop)
    assert waits == [0.001, 0.002, 0.004, 0.004]
    backoff.worked()
    assert backoff.current == 0.001


async def test_a_stop_ends_the_wait_at_once() -> None:
    backoff = IdleBackoff(30.0, 30.0)
    stop = asyncio.Event()
    stop.set()
    await asyncio.wait_for(backoff.idle(stop), timeout=1.0)


async def test_once_the_short_waits_are_spent_a_listening_loop_sleeps_until_woken() -> None:
    signal = Signal(quiet_seconds=3600.0)
    backoff = IdleBackoff(0.001, 0.004, signal.subscribe())
    stop = asyncio.Event()
    for _ in range(2):  # 1 and 2 ms: the events announced may not be readable yet
        await asyncio.wait_for(backoff.idle(stop), timeout=5.0)
    assert backoff.current == 0.004
    quiet = asyncio.create_task(backoff.idle(stop))
    await asyncio.sleep(0)
    assert not quiet.done()
    signal.fire()
    await asyncio.wait_for(quiet, timeout=5.0)
    assert backoff.current == 0.001, "a wake-up starts the short waits again"


async def test_a_wake_up_while_busy_is_kept_for_the_next_wait() -> None:
    signal = Signal(quiet_seconds=3600.0)
    wakeup = signal.subscribe()
    signal.fire()
    assert await asyncio.wait_for(wakeup.wait(asyncio.Event(), 3600.0), timeout=5.0)
    assert not await wakeup.wait(asyncio.Event(), 0), "a wake-up is used once"


async def test_without_a_listener_the_loop_polls_at_its_cap() -> None:
    class Deaf(Signal):
        @property
        def listening(self) -> bool:
            return False

    backoff = IdleBackoff(0.001, 0.002, Deaf(quiet_seconds=3600.0).subscribe())
    stop = asyncio.Event()
    for _ in range(4):
        await asyncio.wait_for(backoff.idle(stop), timeout=5.0)
    assert backoff.current == 0.002
