"""Manuscripts through the real relay and services, in-process, on real NATS and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from uuid import UUID, uuid4

import httpx
import pytest

from analyzer.application.cer import cer
from analyzer.application.evaluation import evaluate_page, offline_plan, recognised_text
from analyzer.application.ports import PageInput
from analyzer.application.profiles import load_profile
from analyzer.bootstrap import build as build_analyzer
from analyzer.bootstrap import evaluation_ports
from analyzer.domain.geometry import Size
from contracts import (
    EngineStep,
    IiifSource,
    JobCreated,
    ManuscriptExported,
    ManuscriptImportRequested,
    Metadata,
    PageAnalysis,
    PageAnalyzed,
    PageExported,
    PageImageNormalized,
    Plan,
    job_stream,
    manuscript_stream,
)
from exporter.bootstrap import build as build_exporter
from infra.artifacts import FileArtifactStore
from infra.eventstore import PostgresEventStore, StreamAppend
from infra.settings import Settings
from infra.testing.pipeline import eventually, running_services
from ingest.bootstrap import build as build_ingest
from recto.sample.iiif_server import serving
from recto.sample.pages import corpus_pages, generated_pages

pytestmark = [pytest.mark.integration, pytest.mark.e2e]


async def request_import(
    store: PostgresEventStore, manifest_url: str, plan: Plan | None = None
) -> UUID:
    corpus_id, manuscript_id, job_id = uuid4(), uuid4(), uuid4()
    requested = ManuscriptImportRequested(
        manuscript_id=manuscript_id,
        corpus_id=corpus_id,
        job_id=job_id,
        source=IiifSource(url=manifest_url),
    )
    await store.append_streams(
        [
            StreamAppend(manuscript_stream(manuscript_id), [requested], 0),
            StreamAppend(
                job_stream(job_id),
                [JobCreated(job_id=job_id, kind="import", plan=plan or Plan())],
                0,
            ),
        ],
        metadata=Metadata(correlation_id=job_id, actor="test"),
    )
    return job_id


async def test_an_imported_manifest_gets_every_page_normalized(
    settings: Settings, event_store: PostgresEventStore
) -> None:
    settings = settings.model_copy(update={"fetch_allow": "127.0.0.1"})
    pages = generated_pages(5)
    with serving(pages) as manifest_url:
        async with running_services(settings, event_store, [build_ingest]):
            job_id = await request_import(event_store, manifest_url)

            async def all_normalized() -> bool:
                done = await event_store.read_all(types=["page.image_normalized"])
                return len(done) == len(pages)

            await eventually(all_normalized, timeout=60)

    normalized = [e.data for e in await event_store.read_all(types=["page.image_normalized"])]
    assert all(isinstance(n, PageImageNormalized) for n in normalized)
    assert {(n.master.width, n.master.height) for n in normalized} == {(1400, 2000)}
    imported = await event_store.read_all(types=["manuscript.imported"])
    assert [e.data.page_count for e in imported] == [5]
    # Every event the services appended for the import carries the job as its correlation id.
    caused = await event_store.read_all(
        types=["manuscript.imported", "page.registered", "page.image_normalized"]
    )
    assert len(caused) == 1 + 5 + 5
    assert {e.correlation_id for e in caused} == {job_id}


async def test_a_manuscript_goes_from_manifest_to_validated_exports(
    settings: Settings, event_store: PostgresEventStore
) -> None:
    settings = settings.model_copy(update={"fetch_allow": "127.0.0.1"})
    plan = Plan(primary=EngineStep(engine="tesseract", languages=["eng"]))
    pages = generated_pages(3)
    with serving(pages) as manifest_url:
        async with running_services(
            settings, event_store, [build_ingest, build_analyzer, build_exporter]
        ):
            job_id = await request_import(event_store, manifest_url, plan)

            async def manuscript_exported() -> bool:
                return bool(await event_store.read_all(types=["manuscript.exported"]))

            await eventually(manuscript_exported, timeout=120)

    analyzed = [e.data for e in await event_store.read_all(types=["page.analyzed"])]
    assert len(analyzed) == 3
    artifacts = FileArtifactStore(settings.artifacts)
    for page in analyzed:
        assert isinstance(page, PageAnalyzed)
        assert page.engine == "tesseract"
        analysis = PageAnalysis.model_validate_json(artifacts.get(page.analysis))
        # Geometry is in the master's pixels, though tesseract read the 2400 px derivative.
        assert (analysis.image.width, analysis.image.height) == (1400, 2000)
        assert "searchable transcriptions" in analysis.text()
    exported = [e.data for e in await event_store.read_all(types=["page.exported"])]
    assert all(isinstance(e, PageExported) for e in exported)
    assert {fmt for e in exported for fmt in e.formats} == {
        "alto",
        "page",
        "text",
        "annotations",
        "word-annotations",
        "hocr",
    }
    alto = artifacts.get(exported[0].formats["alto"]).decode()
    assert "<alto" in alto
    assert "transcriptions" in alto
    (manuscript,) = [e.data for e in await event_store.read_all(types=["manuscript.exported"])]
    assert isinstance(manuscript, ManuscriptExported)
    assert set(manuscript.formats) == {"iiif-manifest", "mets", "bundle", "pdf"}
    assert (manuscript.pages_exported, manuscript.pages_failed) == (3, 0)
    job_events = await event_store.read_all(types=["page.analyzed", "manuscript.exported"])
    assert {e.correlation_id for e in job_events} == {job_id}


@pytest.mark.slow
async def test_through_the_pipeline_a_page_reads_as_well_as_its_original_file(
    settings: Settings, event_store: PostgresEventStore, corpora: Path
) -> None:
    """Q1 end to end: what the IIIF server delivers and ingest derives loses no quality.

    Kant's page is a 300 ppi TIFF (JPEG-compressed, RGB) and Bebel's a 600 ppi bitonal TIFF,
    each served whole and analyzed from a lossless PNG derivative that keeps its resolution;
    Laube's a JPEG that declares none, analyzed byte for byte as served.
    """
    settings = settings.model_copy(update={"fetch_allow": "127.0.0.1"})
    chosen = ("INPUT_0020", "bebel_frau_1879_0146", "laube_europa0202_1837_0105")
    pages = [p for p in corpus_pages(corpora / "ocr-gt", 20) if p.label in chosen]
    assert len(pages) == 3
    profile = load_profile("german-fraktur")
    plan = offline_plan(profile)  # deu+frk and frk, the more confident kept
    with serving(pages) as manifest_url:
        async with running_services(settings, event_store, [build_ingest, build_analyzer]):
            await request_import(event_store, manifest_url, plan)

            async def every_page_analyzed() -> bool:
                return len(await event_store.read_all(types=["page.analyzed"])) == len(pages)

            await eventually(every_page_analyzed, timeout=600)

    artifacts = FileArtifactStore(settings.artifacts)
    normalized = {
        e.data.page_id: e.data for e in await event_store.read_all(types=["page.image_normalized"])
    }
    resolutions, gaps = {}, {}
    async with httpx.AsyncClient() as client:
        ports = evaluation_ports(client)
        for event in await event_store.read_all(types=["page.analyzed"]):
            assert isinstance(event.data, PageAnalyzed)
            image = normalized[event.data.page_id]
            assert isinstance(image, PageImageNormalized)
            assert image.source_url
            (page,) = [p for p in pages if f"/{p.name}/" in image.source_url]
            truth = page.ground_truth
            assert truth is not None
            analysis = PageAnalysis.model_validate_json(artifacts.get(event.data.analysis))
            through = cer(truth.text, recognised_text(analysis))
            size = Size(page.width, page.height)
            original = PageInput(page.data, "original", size, size, page.label)
            evaluation, _ = await evaluate_page(
                corpora / "ocr-gt", truth, original, plan, profile, ports
            )
            assert evaluation.cer is not None
            resolutions[page.label] = image.resolution
            gaps[page.label] = (through, evaluation.cer)
            assert [c.chosen for c in event.data.candidates].count(True) == 1
    assert resolutions["INPUT_0020"] == 300.0
    assert resolutions["bebel_frau_1879_0146"] == 600.0
    assert resolutions["laube_europa0202_1837_0105"] is None
    for label, (through, original_cer) in gaps.items():
        assert abs(through - original_cer) <= 0.005, (label, through, original_cer)
