import asyncio
from pathlib import Path

from infra.health import beat, is_healthy


async def test_heartbeat_is_fresh_while_running_and_gone_after(tmp_path: Path) -> None:
    path = tmp_path / "health" / "ingest"
    stop = asyncio.Event()
    task = asyncio.create_task(beat(path, stop))
    for _ in range(200):  # the first beat comes from a worker thread: give it time
        if is_healthy(path):
            break
        await asyncio.sleep(0.01)
    assert is_healthy(path)
    assert not is_healthy(path, max_age=0.0)
    stop.set()
    await task
    assert not is_healthy(path)
