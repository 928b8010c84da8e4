"""Pages analyzed -> exported -> the whole manuscript exported, through the real relay and the
exporter service on real NATS and PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import zipfile
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from uuid import UUID, uuid4

import iiif_prezi3
import pytest
from PIL import Image

from contracts import (
    Box,
    EngineInfo,
    Event,
    ImageRef,
    JobCreated,
    Line,
    ManuscriptExported,
    ManuscriptImported,
    Metadata,
    PageAnalysis,
    PageAnalyzed,
    PageExported,
    PageImage,
    PageImageNormalized,
    PageRegistered,
    Plan,
    Region,
    job_stream,
    manuscript_stream,
    page_stream,
)
from exporter.bootstrap import build as build_exporter
from exporter.formats import xsd
from infra.artifacts import FileArtifactStore
from infra.eventstore import PostgresEventStore
from infra.settings import Settings
from infra.testing.pipeline import eventually, running_consumers, running_relay

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

PAGES = 3


@contextlib.asynccontextmanager
async def exporter_running(settings: Settings, store: PostgresEventStore) -> AsyncIterator[None]:
    """The relay plus one exporter replica: its subscription and its background tasks."""
    assert settings.nats_url is not None
    parts = await build_exporter(settings, store, poll_seconds=0.1)
    stop = asyncio.Event()
    async with (
        running_relay(store, settings.nats_url, settings.nats_prefix),
        running_consumers(store, settings.nats_url, settings.nats_prefix, parts.subscriptions),
    ):
        tasks = [asyncio.create_task(task(stop)) for task in parts.background]
        try:
            yield
        finally:
            stop.set()
            await asyncio.gather(*tasks)
            for close in parts.closers:
                await close()


def jpeg(width: int, height: int, shade: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (shade, shade, 200)).save(out, "JPEG", quality=80)
    return out.getvalue()


def analysis_of(page_id: UUID, index: int) -> PageAnalysis:
    line = Line(
        id="l1",
        text=f"Folio {index + 1}: In principio erat verbum",
        bbox=Box(x=20, y=30, width=200, height=20),
        baseline=[(20, 48), (220, 48)],
        confidence=0.9,
    )
    return PageAnalysis(
        page_id=str(page_id),
        image=PageImage(width=300, height=400),
        regions=[Region(id="r1", bbox=Box(x=10, y=20, width=220, height=40), lines=[line])],
        reading_order=["r1"],
        languages=["la"],
        engine=EngineInfo(name="null", version="1"),
        created_at=datetime(2025, 1, 1, tzinfo=UTC),
    )


async def append_history(store: PostgresEventStore, artifacts: FileArtifactStore) -> UUID:
    """What ingest and the analyzer would have recorded for a three-page manuscript."""
    manuscript_id, corpus_id, job_id = uuid4(), uuid4(), uuid4()
    metadata = Metadata(correlation_id=job_id, actor="test")
    await store.append(
        job_stream(job_id),
        [JobCreated(job_id=job_id, kind="import", plan=Plan())],
        metadata=metadata,
    )
    imported = ManuscriptImported(
        manuscript_id=manuscript_id, corpus_id=corpus_id, label="Evangeliary", page_count=PAGES
    )
    await store.append(manuscript_stream(manuscript_id), [imported], metadata=metadata)
    for index in range(PAGES):
        page_id = uuid4()
        ref = artifacts.put(jpeg(300, 400, 60 * index), "image/jpeg")
        image = ImageRef(**ref.model_dump(), width=300, height=400)
        analysis = analysis_of(page_id, index)
        history: list[Event] = [
            PageRegistered(
                page_id=page_id,
                manuscript_id=manuscript_id,
                corpus_id=corpus_id,
                job_id=job_id,
                index=index,
                label=f"f. {index + 1}r",
            ),
            PageImageNormalized(
                page_id=page_id, job_id=job_id, master=image, derivative=image, thumbnail=image
            ),
            PageAnalyzed(
                page_id=page_id,
                job_id=job_id,
                analysis=artifacts.put(
                    analysis.model_dump_json().encode(), PageAnalysis.media_type
                ),
                engine="null",
                duration_ms=1.0,
            ),
        ]
        await store.append(page_stream(page_id), history, metadata=metadata)
    return manuscript_id


async def test_analyzed_pages_become_a_validated_manuscript_export(
    settings: Settings, event_store: PostgresEventStore
) -> None:
    settings = settings.model_copy(update={"public_url": "https://recto.example/api"})
    artifacts = FileArtifactStore(settings.artifacts)
    async with exporter_running(settings, event_store):
        manuscript_id = await append_history(event_store, artifacts)

        async def manuscript_exported() -> bool:
            return bool(await event_store.read_all(types=["manuscript.exported"]))

        await eventually(manuscript_exported, timeout=60)
        # Several more rounds of the export loop: none may record the manuscript again.
        await asyncio.sleep(1.0)

    pages = [e.data for e in await event_store.read_all(types=["page.exported"])]
    assert len(pages) == PAGES
    assert all(isinstance(p, PageExported) for p in pages)
    assert await event_store.read_all(types=["page.export_failed"]) == []
    (recorded,) = await event_store.read_all(types=["manuscript.exported"])
    exported = recorded.data
    assert isinstance(exported, ManuscriptExported)
    assert recorded.stream_id == manuscript_stream(manuscript_id)
    assert (exported.pages_exported, exported.pages_failed) == (PAGES, 0)

    mets = artifacts.get(exported.formats["mets"])
    xsd.validate(xsd.Schema.METS, mets)
    assert b"https://recto.example/api/v1/pages/" in mets
    manifest = json.loads(artifacts.get(exported.formats["iiif-manifest"]))
    assert (
        manifest["id"] == f"https://recto.example/api/v1/manuscripts/{manuscript_id}/iiif-manifest"
    )
    assert len(iiif_prezi3.Manifest(**manifest).items) == PAGES

    bundle = zipfile.ZipFile(io.BytesIO(artifacts.get(exported.formats["bundle"])))
    assert bundle.testzip() is None
    names = set(bundle.namelist())
    for number in range(1, PAGES + 1):
        assert {f"alto/{number:04d}.alto.xml", f"page/{number:04d}.page.xml"} <= names
        assert f"images/{number:04d}.jpg" in names
        xsd.validate(xsd.Schema.ALTO, bundle.read(f"alto/{number:04d}.alto.xml"))
    assert "In principio" in bundle.read("text/0002.txt").decode()
