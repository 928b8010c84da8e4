"""A plan's stages, asked of a vision-language model over HTTP, reach the exports: the analyzer
transcribes a page and runs a translation and a commentary against a loopback
OpenAI-compatible server, then the exporter renders what it stored (ADR 0024)."""

from __future__ import annotations

import io
import json
from uuid import uuid4

import pytest
from dinglehopper.ocr_files import page_text
from lxml import etree
from PIL import Image

from analyzer.adapters.vlm import VlmEngine
from analyzer.adapters.vlm_cache import InMemoryVlmCache
from analyzer.adapters.vlm_http import VlmSettings
from analyzer.application.analyze_page import analyze_page
from analyzer.application.in_memory import InMemoryPageImages, StaticPlanSource
from analyzer.application.ports import AnalyzerPorts
from analyzer.application.profiles import load_profiles
from analyzer.application.prompts import PromptTemplates
from analyzer.domain.scorers import DEFAULT_SCORERS
from analyzer.fake_vlm import running_fake_vlm
from analyzer.formats.ground_truth import page_segments
from contracts import (
    EngineStep,
    ImageRef,
    PageAnalyzed,
    PageExported,
    PageImageNormalized,
    Plan,
    Stage,
)
from exporter.application.export_page import export_page
from exporter.application.ports import ExportPorts
from exporter.domain.urls import GatewayUrls
from exporter.formats import xsd
from infra.artifacts import InMemoryArtifactStore

pytestmark = pytest.mark.e2e

PAGE_NS = {"pc": "http://schema.primaresearch.org/PAGE/gts/pagecontent/2019-07-15"}
TRANSCRIPTION = {
    "language": "de",
    "regions": [
        {
            "type": "heading",
            "bbox": [40, 30, 520, 50],
            "lines": [{"text": "Was ist Aufklärung?", "bbox": [40, 30, 520, 50]}],
        },
        {
            "type": "text",
            "bbox": [40, 120, 520, 100],
            "lines": [
                {"text": "Aufklärung ist der Ausgang des", "bbox": [40, 120, 520, 45]},
                {"text": "Menschen aus seiner Unmündigkeit.", "bbox": [40, 175, 520, 45]},
            ],
        },
    ],
}
TRANSLATION = "What is enlightenment?\n\nEnlightenment is man's emergence from his immaturity.\n"
COMMENTARY = "The opening of Kant's essay of 1784, its question and its answer."


def _page(artifacts: InMemoryArtifactStore) -> PageImageNormalized:
    buffer = io.BytesIO()
    Image.new("L", (600, 800), 255).save(buffer, "PNG")
    ref = artifacts.put(buffer.getvalue(), "image/png")
    image = ImageRef(**ref.model_dump(), width=600, height=800)
    return PageImageNormalized(
        page_id=uuid4(), job_id=uuid4(), master=image, derivative=image, thumbnail=image
    )


async def test_a_translation_and_a_commentary_reach_page_annotations_and_text_files(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RECTO_TEST_VLM_KEY", "sk-test-key")
    artifacts = InMemoryArtifactStore()
    page = _page(artifacts)
    plan = Plan(
        primary=EngineStep(engine="vlm", prompt="transcribe-page"),
        stages=[
            Stage(
                name="translation",
                engine="vlm",
                prompt="Translate into English, paragraph by paragraph:\n{{ text }}",
                language="en",
            ),
            Stage(name="commentary", engine="vlm", prompt="Comment on:\n{{ text }}"),
        ],
    )
    images = InMemoryPageImages()
    images.add(page)

    with running_fake_vlm() as server:
        for answer in (json.dumps(TRANSCRIPTION), TRANSLATION, COMMENTARY):
            server.chat(answer)
        settings = VlmSettings(
            base_url=f"{server.url}/v1",
            model="fake-vlm",
            api_key_env="RECTO_TEST_VLM_KEY",
            timeout_s=5,
            max_attempts=1,
        )
        vlm = VlmEngine(settings, InMemoryVlmCache(), artifacts)
        ports = AnalyzerPorts(
            artifacts=artifacts,
            engines={"vlm": vlm},
            page_images=images,
            plans=StaticPlanSource({page.job_id: plan}),
            profiles=load_profiles(),
            templates=PromptTemplates(),
            scorers=DEFAULT_SCORERS,
            stage_engines={"vlm": vlm},
        )
        emitted = await analyze_page(page, ports)
    analyzed = emitted[-1][1]
    assert isinstance(analyzed, PageAnalyzed)
    assert len(server.requests) == 3

    ((_, exported),) = await export_page(
        analyzed, ExportPorts(artifacts, GatewayUrls("https://recto.example"))
    )

    assert isinstance(exported, PageExported)
    assert sorted(name for name in exported.formats if "/" in name) == [
        "annotations/commentary",
        "annotations/translation",
        "text/commentary",
        "text/translation",
    ]
    assert artifacts.get(exported.formats["text/translation"]).decode() == TRANSLATION
    assert artifacts.get(exported.formats["text/commentary"]).decode() == COMMENTARY + "\n"
    assert artifacts.get(exported.formats["text"]).decode() == (
        "Was ist Aufklärung?\n\nAufklärung ist der Ausgang des\nMenschen aus seiner Unmündigkeit.\n"
    )

    # PAGE: the transcription first (index 1), the translation by region, the commentary on
    # the page; dinglehopper still reads the transcription alone.
    content = artifacts.get(exported.formats["page"])
    xsd.validate(xsd.Schema.PAGE, content)
    regions = etree.fromstring(content).findall(".//pc:TextRegion", PAGE_NS)
    assert [
        [(e.get("index"), e.get("comments")) for e in r.findall("pc:TextEquiv", PAGE_NS)]
        for r in regions
    ] == [
        [
            ("1", None),
            ("2", "stage:translation kind:translation lang:en scope:region"),
            ("3", "stage:commentary kind:commentary scope:page"),
        ],
        [("1", None), ("2", "stage:translation kind:translation lang:en scope:region")],
    ]
    tree = etree.ElementTree(etree.fromstring(content))
    assert page_text(tree) == (
        "Was ist Aufklärung?\nAufklärung ist der Ausgang des\nMenschen aus seiner Unmündigkeit."
    )
    # So does `recto eval`, reading Recto's PAGE as ground truth.
    assert page_segments(tree, "region") == [
        "Was ist Aufklärung?",
        "Aufklärung ist der Ausgang des\nMenschen aus seiner Unmündigkeit.",
    ]

    # IIIF: the translation in English on each region, supplementing the canvas; the
    # commentary a comment on the whole canvas, in no language the plan said.
    translation = json.loads(artifacts.get(exported.formats["annotations/translation"]))
    assert [(a["body"]["value"], a["body"]["language"]) for a in translation["items"]] == [
        ("What is enlightenment?", "en"),
        ("Enlightenment is man's emergence from his immaturity.", "en"),
    ]
    assert translation["items"][0]["motivation"] == ["supplementing", "commenting"]
    commentary = json.loads(artifacts.get(exported.formats["annotations/commentary"]))
    ((note,),) = [commentary["items"]]
    assert (note["motivation"], note["textGranularity"]) == (["commenting"], "page")
    assert "language" not in note["body"]
