"""Service liveness through a heartbeat file: cheap to check from a container healthcheck."""

from __future__ import annotations

import asyncio
import contextlib
import time
from pathlib import Path

import anyio

HEARTBEAT_SECONDS = 5.0


async def beat(path: Path, stop: asyncio.Event) -> None:
    """Touch `path` until `stop` is set, then remove it."""
    file = anyio.Path(path)
    await file.parent.mkdir(parents=True, exist_ok=True)
    while not stop.is_set():
        await file.touch()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=HEARTBEAT_SECONDS)
    await file.unlink(missing_ok=True)


def is_healthy(path: Path, *, max_age: float = 3 * HEARTBEAT_SECONDS) -> bool:
    try:
        return time.time() - path.stat().st_mtime < max_age
    except FileNotFoundError:
        return False
