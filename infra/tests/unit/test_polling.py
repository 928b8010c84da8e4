import asyncio

from infra.polling import IdleBackoff


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
