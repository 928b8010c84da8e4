"""The ports the analyzer's handlers need; adapters implement them, tests pass twins."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol
from uuid import UUID

from analyzer.application.profiles import CorpusProfile
from analyzer.application.prompts import PromptTemplates
from analyzer.domain.geometry import Size
from analyzer.domain.scorers import Scorer
from contracts import EngineStep, PageAnalysis, PageImageNormalized, Plan, Stage
from infra.artifacts import ArtifactStore


@dataclass(frozen=True)
class PageInput:
    """One page as an engine sees it: the derivative's bytes plus the master's size."""

    image: bytes
    image_sha256: str
    derivative: Size
    master: Size
    page_id: str | None = None
    master_sha256: str | None = None
    variables: Mapping[str, Any] = field(default_factory=dict)
    resolution: float | None = None  # pixels per inch of `image`, when the source declares it


class Engine(Protocol):
    """Analyses a page; every coordinate it returns is in master pixels."""

    name: str

    async def analyze(
        self, page: PageInput, step: EngineStep, prompt: str | None
    ) -> PageAnalysis: ...


class StageEngine(Protocol):
    """Runs a further stage (translation, summary…) and returns its text output."""

    name: str

    async def run_stage(self, page: PageInput, stage: Stage, prompt: str) -> str: ...


class PageImages(Protocol):
    """Finds the normalized image of a page (for `page.analysis_requested`, which has none)."""

    async def normalized(self, page_id: UUID) -> PageImageNormalized | None: ...


class PlanSource(Protocol):
    """The plan a page's job asked for, or None to use the corpus profile's default."""

    async def plan_for(self, page_id: UUID, job_id: UUID | None) -> Plan | None: ...


@dataclass(frozen=True)
class AnalyzerPorts:
    artifacts: ArtifactStore
    engines: Mapping[str, Engine]
    page_images: PageImages
    plans: PlanSource
    profiles: Mapping[str, CorpusProfile]
    templates: PromptTemplates
    scorers: Sequence[Scorer] = ()
    stage_engines: Mapping[str, StageEngine] = field(default_factory=dict)
