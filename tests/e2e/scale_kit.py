"""What the scale-out end-to-end tests share: distinct small pages, imports through the gateway
of a running stack, and the exactly-once count of exports read from the event store."""

from __future__ import annotations

import asyncio
import io
import time
from collections import Counter
from collections.abc import Callable
from typing import Any
from uuid import UUID

from PIL import Image, ImageDraw

from contracts import EngineStep, PageExported, Plan
from infra.eventstore import PostgresEventStore
from infra.testing.patience import patient
from recto.client import GatewayClient
from recto.sample.pages import SamplePage

STACK_ENV = {"RECTO_AUTH": "off", "RECTO_FETCH_ALLOW": "127.0.0.1"}


def null_plan() -> Plan:
    """The instant engine: these tests are about moving pages, not reading them."""
    return Plan(primary=EngineStep(engine="null", languages=["eng"]))


def small_pages(count: int, tag: str) -> list[SamplePage]:
    """600×800 JPEGs, each different: a content-addressed store must not merge them."""
    pages = []
    for number in range(1, count + 1):
        image = Image.new("L", (600, 800), 250)
        ImageDraw.Draw(image).text((60, 60), f"{tag}, folio {number}", fill=20)
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=85)
        pages.append(SamplePage(f"{tag}{number:04d}", f"f. {number}r", buffer.getvalue(), 600, 800))
    return pages


def wait_for_job(
    client: GatewayClient,
    job_id: str,
    timeout: float,
    *,
    every: float = 0.5,
    on_poll: Callable[[dict[str, Any] | None], None] | None = None,
) -> dict[str, Any]:
    """Poll the job until it is done or failed; `on_poll` sees each reading (None: not yet)."""
    timeout = patient(timeout)
    deadline = time.monotonic() + timeout
    while True:
        response = client.http.get(f"/jobs/{job_id}")
        job = response.json() if response.status_code == 200 else None
        if on_poll is not None:
            on_poll(job)
        if job is not None and job["status"] in ("done", "failed"):
            return job
        if time.monotonic() > deadline:
            raise TimeoutError(f"job {job_id} not finished after {timeout:.0f}s: {job}")
        time.sleep(every)


def exported_events(database_url: str) -> list[PageExported]:
    async def read() -> list[PageExported]:
        store = await PostgresEventStore.connect(database_url, max_size=1)
        try:
            events = await store.read_all(types=["page.exported"], limit=1_000_000)
        finally:
            await store.close()
        return [e.data for e in events if isinstance(e.data, PageExported)]

    return asyncio.run(read())


def exports_per_page(database_url: str) -> Counter[UUID]:
    """How many `page.exported` events each page has in the event store."""
    return Counter(event.page_id for event in exported_events(database_url))
