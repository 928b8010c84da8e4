"""Live per-stage progress of a job, fed by the gateway's websocket feed."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Mapping

import websockets
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from recto.client import GatewayClient

STAGES: Mapping[str, str] = {
    "page.registered": "registered",
    "page.image_normalized": "normalised",
    "page.analyzed": "analysed",
    "page.exported": "exported",
}
FAILURES = frozenset({"page.ingest_failed", "page.export_failed"})


class JobProgress:
    """Counts a job's page events by stage; `done` once the job is recorded complete."""

    def __init__(self, expected_pages: int | None = None) -> None:
        self.counts = {stage: 0 for stage in STAGES.values()} | {"failed": 0}
        self.expected = expected_pages
        self.done = False
        self.position = 0

    def apply(self, message: Mapping[str, object]) -> None:
        kind = str(message.get("type", ""))
        self.position = int(str(message.get("position", self.position)))
        data = message.get("data")
        if kind in STAGES:
            self.counts[STAGES[kind]] += 1
        elif kind in FAILURES or (
            kind == "page.analysis_failed" and isinstance(data, dict) and data.get("final")
        ):
            self.counts["failed"] += 1
        elif kind == "manuscript.imported" and isinstance(data, dict):
            self.expected = (self.expected or 0) + int(data.get("page_count") or 0)
        elif kind in ("job.completed", "job.cancelled"):
            self.done = True


async def follow_job(
    client: GatewayClient, job_id: str, console: Console, *, show: bool = True
) -> JobProgress:
    """Follow the job's events until it completes, resuming the feed after a disconnect."""
    state = JobProgress()
    columns = (TextColumn("{task.description:>11}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=console, disable=not show, transient=False) as bars:
        tasks = {name: bars.add_task(name, total=None) for name in state.counts}
        while not state.done:
            with contextlib.suppress(websockets.ConnectionClosed, OSError):
                async with websockets.connect(client.feed_url(job_id, state.position)) as feed:
                    async for raw in feed:
                        message = json.loads(raw)
                        if message.get("type") == "heartbeat":
                            continue
                        state.apply(message)
                        for name, task in tasks.items():
                            bars.update(task, completed=state.counts[name], total=state.expected)
                        if state.done:
                            break
            if not state.done:
                await asyncio.sleep(0.5)
    return state
