"""The analyzer's composition root: engines, caches and event-store readers from settings."""

from __future__ import annotations

import os

import httpx

from analyzer.adapters.event_history import StoredPageImages, StoredPlans
from analyzer.adapters.null_engine import NullEngine
from analyzer.adapters.vlm import VlmEngine
from analyzer.adapters.vlm_cache import InMemoryVlmCache, PostgresVlmCache
from analyzer.adapters.vlm_http import GEMINI_DEFAULTS, VlmSettings
from analyzer.application.in_memory import InMemoryPageImages, StaticPlanSource
from analyzer.application.ports import AnalyzerPorts, Engine
from analyzer.application.profiles import load_profiles
from analyzer.application.prompts import PromptTemplates
from analyzer.domain.scorers import DEFAULT_SCORERS
from analyzer.entrypoints.subscriptions import analyzer_subscriptions
from infra.artifact_stores import artifact_store
from infra.artifacts import InMemoryArtifactStore
from infra.eventstore import PostgresEventStore
from infra.service import ServiceParts
from infra.settings import Settings


def _one_openmp_thread() -> None:
    """OpenMP threads make Tesseract ~8× slower on a shared machine, and the analyzer scales
    with processes instead. The OpenMP runtime reads the limit once, when libtesseract loads
    with tesserocr, so it is set before the Tesseract adapter is first imported; a limit the
    environment already gives (`recto up`, the Makefile, the container image) is kept."""
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")


async def build(settings: Settings, store: PostgresEventStore) -> ServiceParts:
    _one_openmp_thread()
    from analyzer.adapters.tesseract import TesseractEngine

    artifacts = artifact_store(settings)
    cache = PostgresVlmCache(store.pool)
    await cache.create_table()
    client = httpx.AsyncClient()
    vlm = VlmEngine(VlmSettings.from_env(), cache, artifacts, client, name="vlm")
    gemini_settings = VlmSettings(
        provider="gemini",
        base_url=GEMINI_DEFAULTS["base_url"],
        model=GEMINI_DEFAULTS["model"],
        api_key_env=GEMINI_DEFAULTS["api_key_env"],
    )
    gemini = VlmEngine(gemini_settings, cache, artifacts, client, name="gemini")
    null = NullEngine()
    ports = AnalyzerPorts(
        artifacts=artifacts,
        # The null engine is there for benchmarks and pipeline tests: a plan must name it.
        engines={"tesseract": TesseractEngine(), "vlm": vlm, "gemini": gemini, "null": null},
        page_images=StoredPageImages(store),
        plans=StoredPlans(store),
        profiles=load_profiles(),
        templates=PromptTemplates(),
        scorers=DEFAULT_SCORERS,
        stage_engines={"vlm": vlm, "gemini": gemini, "null": null},
    )
    return ServiceParts(
        subscriptions=analyzer_subscriptions(
            ports, store, max_deliver=settings.max_deliver, ack_wait=settings.ack_wait_seconds
        ),
        closers=[client.aclose],
    )


def evaluation_ports(client: httpx.AsyncClient, vlm: VlmSettings | None = None) -> AnalyzerPorts:
    """Engines for `recto eval`, in this process, without a database.

    The VLM engine is there only when its API key is set (`RECTO_VLM_*` settings): a plan
    step naming it otherwise fails as an engine that is not configured, and its fallbacks run.
    """
    _one_openmp_thread()
    from analyzer.adapters.tesseract import TesseractEngine

    artifacts = InMemoryArtifactStore()
    vlm = vlm or VlmSettings.from_env()
    engines: dict[str, Engine] = {"tesseract": TesseractEngine(), "null": NullEngine()}
    if os.environ.get(vlm.api_key_env):
        engines["vlm"] = VlmEngine(vlm, InMemoryVlmCache(), artifacts, client, name="vlm")
    return AnalyzerPorts(
        artifacts=artifacts,
        engines=engines,
        page_images=InMemoryPageImages(),
        plans=StaticPlanSource(),
        profiles=load_profiles(),
        templates=PromptTemplates(),
        scorers=DEFAULT_SCORERS,
    )
