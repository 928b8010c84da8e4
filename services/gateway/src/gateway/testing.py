"""Test helpers over real servers: the gateway served by uvicorn on a loopback port, and pages
made searchable the way the pipeline does it (registered, then exported with an analysis
artifact that the search projection reads back)."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID, uuid4

import asyncpg
import httpx
import uvicorn

from contracts import (
    Box,
    EngineInfo,
    Line,
    Metadata,
    PageAnalysis,
    PageExported,
    PageImage,
    PageRegistered,
    Region,
    page_stream,
)
from gateway.adapters.search_projection import SearchProjection
from gateway.application.ports import PlanValidator, accept_any_plan
from gateway.bootstrap import create_gateway_app
from gateway.entrypoints.server import server_config
from gateway.settings import GatewaySettings
from infra.artifacts import FileArtifactStore
from infra.eventstore import PostgresEventStore
from infra.settings import Settings
from infra.testing.pipeline import eventually


@dataclass
class ServedGateway:
    url: str
    server: uvicorn.Server
    thread: threading.Thread
    artifacts: Path

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=20)


def serve_gateway(
    database_url: str,
    nats_url: str | None,
    artifacts: Path,
    gateway_settings: GatewaySettings,
    plan_validator: PlanValidator = accept_any_plan,
    fetch_allow: str = "",
) -> ServedGateway:
    """Start uvicorn in a thread of its own (its own event loop), on a free loopback port."""
    settings = Settings(
        database_url=database_url, nats_url=nats_url, artifacts=artifacts, fetch_allow=fetch_allow
    )
    app = create_gateway_app(settings, gateway_settings, plan_validator)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = server_config(
        app,
        gateway_settings,
        log_level="warning",
        ws="websockets-sansio",
        lifespan="on",
        timeout_graceful_shutdown=5,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    for _ in range(400):
        if server.started or not thread.is_alive():
            break
        threading.Event().wait(0.025)
    if not server.started:
        raise RuntimeError("the gateway did not start")
    return ServedGateway(f"http://127.0.0.1:{port}", server, thread, artifacts)


def analysis(
    lines: list[str], languages: list[str], *, width: int = 1000, height: int = 1500
) -> PageAnalysis:
    """One region, a line every 50 pixels from the top, each as wide as its text."""
    built = [
        Line(
            id=f"l{n}", text=text, bbox=Box(x=100, y=100 + 50 * n, width=12 * len(text), height=40)
        )
        for n, text in enumerate(lines)
    ]
    return PageAnalysis(
        image=PageImage(width=width, height=height),
        regions=[
            Region(
                id="r0", bbox=Box(x=90, y=90, width=800, height=60 * len(lines) + 20), lines=built
            )
        ],
        languages=languages,
        engine=EngineInfo(name="ground-truth"),
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
    )


async def register(
    store: PostgresEventStore,
    corpus_id: UUID,
    manuscript_id: UUID,
    index: int,
    *,
    canvas: tuple[int, int] | None = None,
    canvas_id: str | None = None,
) -> UUID:
    page_id = uuid4()
    await store.append(
        page_stream(page_id),
        [
            PageRegistered(
                page_id=page_id,
                manuscript_id=manuscript_id,
                corpus_id=corpus_id,
                index=index,
                label=f"p. {index + 1}",
                canvas_id=canvas_id,
                canvas_width=canvas[0] if canvas else None,
                canvas_height=canvas[1] if canvas else None,
            )
        ],
        metadata=Metadata(actor="ingest"),
    )
    return page_id


async def export(
    store: PostgresEventStore, artifacts: FileArtifactStore, page_id: UUID, page: PageAnalysis
) -> None:
    ref = artifacts.put(page.model_dump_json().encode(), PageAnalysis.media_type)
    await store.append(
        page_stream(page_id),
        [PageExported(page_id=page_id, analysis=ref, formats={})],
        metadata=Metadata(actor="exporter"),
    )


async def searchable_page(
    store: PostgresEventStore,
    artifacts: FileArtifactStore,
    corpus_id: UUID,
    manuscript_id: UUID,
    index: int,
    page: PageAnalysis,
    **canvas: object,
) -> UUID:
    page_id = await register(store, corpus_id, manuscript_id, index, **canvas)  # type: ignore[arg-type]
    await export(store, artifacts, page_id, page)
    return page_id


async def search_caught_up(pool: asyncpg.Pool) -> None:
    """Wait until the search projection has applied every page event in the store."""

    store = PostgresEventStore(pool)

    async def done() -> bool:
        lag = await store.lag(SearchProjection.name, SearchProjection.event_types, at_most=1)
        return lag == 0

    await eventually(done, timeout=30)


async def new_manuscript(client: httpx.AsyncClient, slug: str) -> tuple[UUID, UUID]:
    """A corpus and a manuscript imported into it, as the API creates them."""
    corpus = await client.post("/v1/corpora", json={"slug": slug, "title": slug.title()})
    corpus_id = corpus.json()["id"]
    accepted = await client.post(
        f"/v1/corpora/{corpus_id}/imports",
        json={"source": {"kind": "iiif", "url": f"https://example.org/{slug}.json"}},
    )
    manuscript_id = accepted.json()["manuscript_id"]

    async def visible() -> bool:
        return (await client.get(f"/v1/manuscripts/{manuscript_id}")).status_code == 200

    await eventually(visible)
    return UUID(corpus_id), UUID(manuscript_id)


@contextlib.contextmanager
def served_gateway(
    settings: Settings, gateway_settings: GatewaySettings, *, start_timeout: float = 30.0
) -> Iterator[str]:
    """The gateway under uvicorn in a thread, on a free loopback port that is also its public
    URL (so the ids it writes resolve); yields that URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    own = gateway_settings.model_copy(update={"public_url": url})
    config = server_config(
        create_gateway_app(settings, own),
        own,
        log_level="warning",
        ws="websockets-sansio",
        lifespan="on",
        timeout_graceful_shutdown=5,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + start_timeout
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.02)
    if not server.started:
        raise RuntimeError("the gateway did not start")
    try:
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=20)
