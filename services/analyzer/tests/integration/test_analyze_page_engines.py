"""The handler with real engines: tesserocr on real pages, the VLM over a loopback server."""

import hashlib
import io
import json
from pathlib import Path
from uuid import uuid4

import pytest
from PIL import Image

from analyzer.adapters.null_engine import NullEngine
from analyzer.adapters.tesseract import TesseractEngine
from analyzer.adapters.vlm import VlmEngine
from analyzer.adapters.vlm_cache import InMemoryVlmCache
from analyzer.adapters.vlm_http import VlmSettings
from analyzer.application.analyze_page import analyze_page
from analyzer.application.in_memory import InMemoryPageImages, StaticPlanSource
from analyzer.application.ports import AnalyzerPorts, PageInput
from analyzer.application.profiles import load_profiles
from analyzer.application.prompts import PromptTemplates
from analyzer.domain.geometry import Size
from analyzer.domain.scorers import DEFAULT_SCORERS
from contracts import (
    EngineStep,
    ImageRef,
    PageAnalysis,
    PageAnalysisFailed,
    PageAnalysisStageCompleted,
    PageAnalysisStarted,
    PageAnalyzed,
    PageImageNormalized,
    Plan,
    Stage,
)
from infra.artifacts import InMemoryArtifactStore

KRAKEN = "ocr-gt/kraken-transkribus-170025120000003_0074/170025120000003,0074.jpg"
KANT = "ocr-gt/ocrd-kant_aufklaerung_1784/OCR-D-IMG/INPUT_0017.tif"
VLM_ANSWER = {
    "language": "spa",
    "regions": [
        {
            "type": "text",
            "bbox": [40, 60, 900, 1300],
            "lines": [
                {
                    "text": "nor su hijo, De todos sus bienes, con los pactos",
                    "bbox": [40, 60, 900, 40],
                }
            ],
        }
    ],
}


@pytest.fixture(scope="module")
def tesseract() -> TesseractEngine:
    return TesseractEngine()


def normalize(
    master_path: Path, artifacts: InMemoryArtifactStore, width: int = 1000
) -> PageImageNormalized:
    """What ingest would have done: a derivative of `width` pixels, stored; the master's size."""
    with Image.open(master_path) as image:
        master = image.size
        derivative = image.convert("L").resize((width, round(image.height * width / image.width)))
    buffer = io.BytesIO()
    derivative.save(buffer, "PNG")
    ref = artifacts.put(buffer.getvalue(), "image/png")
    master_ref = ImageRef(
        sha256=hashlib.sha256(master_path.read_bytes()).hexdigest(),
        media_type="image/jpeg",
        bytes=1,
        width=master[0],
        height=master[1],
    )
    return PageImageNormalized(
        page_id=uuid4(),
        job_id=uuid4(),
        master=master_ref,
        derivative=ImageRef(**ref.model_dump(), width=derivative.width, height=derivative.height),
        thumbnail=master_ref,
    )


def ports(
    artifacts, engines, plan: Plan | None, page: PageImageNormalized, stage_engines=None
) -> AnalyzerPorts:
    images = InMemoryPageImages()
    images.add(page)
    return AnalyzerPorts(
        artifacts=artifacts,
        engines={engine.name: engine for engine in engines},
        page_images=images,
        plans=StaticPlanSource({page.job_id: plan} if plan else {}),
        profiles=load_profiles(),
        templates=PromptTemplates(),
        scorers=DEFAULT_SCORERS,
        stage_engines={engine.name: engine for engine in stage_engines or []},
    )


def vlm_engine(server, artifacts) -> VlmEngine:
    settings = VlmSettings(
        base_url=f"{server.url}/v1",
        model="fake-vlm",
        api_key_env="RECTO_TEST_VLM_KEY",
        timeout_s=5,
        max_attempts=2,
        backoff_s=0.01,
    )
    return VlmEngine(settings, InMemoryVlmCache(), artifacts)


async def test_tesseract_geometry_is_in_master_pixels(
    corpora: Path, tesseract: TesseractEngine
) -> None:
    artifacts = InMemoryArtifactStore()
    page = normalize(corpora / KANT, artifacts)
    plan = Plan(primary=EngineStep(engine="tesseract", languages=["frk"]))

    emitted = await analyze_page(page, ports(artifacts, [tesseract], plan, page))

    analyzed = emitted[-1][1]
    assert isinstance(analyzed, PageAnalyzed)
    analysis = PageAnalysis.model_validate_json(artifacts.get(analyzed.analysis))
    width, height = page.master.width, page.master.height
    assert (analysis.image.width, analysis.image.height) == (width, height)
    words = analysis.words()
    assert len(words) > 100
    assert all(w.bbox.right <= width and w.bbox.bottom <= height for w in words)
    # Read from the master itself, the text block spans (within 2%) the same master pixels.
    master_bytes = (corpora / KANT).read_bytes()
    direct = await tesseract.analyze(
        PageInput(master_bytes, "m", Size(width, height), Size(width, height)),
        EngineStep(engine="tesseract", languages=["frk"]),
        None,
    )
    for edge in ("x", "y", "right", "bottom"):
        scaled = min if edge in "xy" else max
        from_derivative = scaled(getattr(w.bbox, edge) for w in words)
        from_master = scaled(getattr(w.bbox, edge) for w in direct.words())
        assert abs(from_derivative - from_master) <= 0.02 * width, edge
    assert all(0 <= w.confidence <= 1 for w in words if w.confidence is not None)
    assert all(line.baseline for line in analysis.lines())
    assert analysis.reading_order == [r.id for r in analysis.regions]
    assert "Aufklärung" in analysis.text() or "Aufklaͤrung" in analysis.text()
    assert analysis.engine.model == "frk"


async def test_tesseract_is_told_the_declared_resolution_and_estimates_only_without_one(
    corpora: Path, tesseract: TesseractEngine
) -> None:
    kant = (corpora / KANT).read_bytes()  # a TIFF tagged 300 ppi
    size = Size(1457, 2083)
    step = EngineStep(engine="tesseract", languages=["frk"])

    tagged = await tesseract.analyze(PageInput(kant, "k", size, size), step, None)
    declared = await tesseract.analyze(
        PageInput(kant, "k", size, size, resolution=600.0), step, None
    )
    buffer = io.BytesIO()
    Image.new("L", (400, 600), 255).save(buffer, "PNG")
    blank = await tesseract.analyze(
        PageInput(buffer.getvalue(), "b", Size(400, 600), Size(400, 600)), step, None
    )

    assert tagged.engine.parameters["ppi"] == 300
    # What the page says (its derivative's declared resolution) wins over the file's tags,
    # and Tesseract reads text of the same pixels differently at another resolution.
    assert declared.engine.parameters["ppi"] == 600
    assert declared.text() != tagged.text()
    # Nothing declared: Tesseract estimates; a page with nothing on it has no text, no error.
    assert (blank.engine.parameters["ppi"], blank.text()) == ("estimated", "")


async def test_low_confidence_tesseract_falls_back_to_the_vlm(
    corpora: Path, tesseract: TesseractEngine, fake_vlm_server
) -> None:
    # An 18th-century handwritten page: Tesseract reads it with little confidence.
    artifacts = InMemoryArtifactStore()
    page = normalize(corpora / KRAKEN, artifacts)
    fake_vlm_server.chat(json.dumps(VLM_ANSWER))
    plan = Plan(
        primary=EngineStep(engine="tesseract", languages=["lat"]),
        fallbacks=[
            EngineStep(engine="vlm", when="mean_confidence < 0.6", prompt="transcribe-handwriting")
        ],
    )
    engines = [tesseract, vlm_engine(fake_vlm_server, artifacts)]

    emitted = await analyze_page(page, ports(artifacts, engines, plan, page))

    started = [e for _, e in emitted if isinstance(e, PageAnalysisStarted)]
    assert [(s.engine, s.attempt) for s in started] == [("tesseract", 1), ("vlm", 2)]
    analyzed = emitted[-1][1]
    assert isinstance(analyzed, PageAnalyzed)
    assert (analyzed.engine, analyzed.attempts) == ("vlm", ["tesseract", "vlm"])
    analysis = PageAnalysis.model_validate_json(artifacts.get(analyzed.analysis))
    assert analysis.text() == "nor su hijo, De todos sus bienes, con los pactos"
    # The VLM's box, in derivative pixels, was scaled to the 2743-pixel master.
    assert analysis.regions[0].bbox.x == round(40 * page.master.width / page.derivative.width)
    assert (
        "Transcribe this handwritten page"
        in fake_vlm_server.requests[0]["messages"][0]["content"][0]["text"]
    )


async def test_a_garbage_answer_fails_the_page_with_the_raw_response(fake_vlm_server) -> None:
    artifacts = InMemoryArtifactStore()
    buffer = io.BytesIO()
    Image.new("L", (300, 400), 255).save(buffer, "PNG")
    page = normalize_bytes(buffer.getvalue(), artifacts)
    fake_vlm_server.chat("As an AI I cannot transcribe this.")
    plan = Plan(primary=EngineStep(engine="vlm"), profile="modern-handwritten")

    emitted = await analyze_page(
        page, ports(artifacts, [vlm_engine(fake_vlm_server, artifacts)], plan, page)
    )

    failed = emitted[-1][1]
    assert isinstance(failed, PageAnalysisFailed)
    assert (failed.code, failed.final) == ("unparseable-response", True)
    assert failed.raw_response is not None
    assert b"As an AI I cannot transcribe this." in artifacts.get(failed.raw_response)


async def test_stage_two_is_asked_with_stage_ones_output(fake_vlm_server) -> None:
    artifacts = InMemoryArtifactStore()
    buffer = io.BytesIO()
    Image.new("L", (300, 400), 255).save(buffer, "PNG")
    page = normalize_bytes(buffer.getvalue(), artifacts)
    translation = "Enlightenment is man's emergence from his self-incurred immaturity."
    fake_vlm_server.chat(translation)
    fake_vlm_server.chat("Kant defines enlightenment.")
    plan = Plan(
        primary=EngineStep(engine="null"),
        stages=[
            Stage(name="translation", engine="vlm", prompt="Translate into English:\n{{ text }}"),
            Stage(name="summary", engine="vlm", prompt="Summarise in one line: {{ prev_output }}"),
        ],
    )
    vlm = vlm_engine(fake_vlm_server, artifacts)

    emitted = await analyze_page(page, ports(artifacts, [NullEngine()], plan, page, [vlm]))

    prompts = [r["messages"][0]["content"][0]["text"] for r in fake_vlm_server.requests]
    assert prompts == [
        "Translate into English:\nnull engine output",
        f"Summarise in one line: {translation}",
    ]
    stages = [e.stage for _, e in emitted if isinstance(e, PageAnalysisStageCompleted)]
    assert stages == ["translation", "summary"]
    assert [e.type for _, e in emitted][-1] == "page.analyzed"


def normalize_bytes(data: bytes, artifacts: InMemoryArtifactStore) -> PageImageNormalized:
    ref = artifacts.put(data, "image/png")
    with Image.open(io.BytesIO(data)) as image:
        size = image.size
    image_ref = ImageRef(**ref.model_dump(), width=size[0], height=size[1])
    return PageImageNormalized(
        page_id=uuid4(), job_id=uuid4(), master=image_ref, derivative=image_ref, thumbnail=image_ref
    )
