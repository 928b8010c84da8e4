"""Fakes and builders for tests of the analyzer and of code that wires it (never in production)."""

from __future__ import annotations

import hashlib
import os
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

from analyzer.application.in_memory import InMemoryPageImages, StaticPlanSource
from analyzer.application.ports import AnalyzerPorts, PageInput
from analyzer.application.profiles import load_profiles
from analyzer.application.prompts import PromptTemplates
from analyzer.domain.scorers import DEFAULT_SCORERS
from contracts import (
    Box,
    EngineInfo,
    EngineStep,
    ImageRef,
    Line,
    PageAnalysis,
    PageImage,
    PageImageNormalized,
    Region,
    Stage,
    Word,
)
from infra.artifacts import InMemoryArtifactStore


def analysis_with(text: str, confidence: float, engine: str) -> PageAnalysis:
    words = [
        Word(id=f"w{i}", text=t, bbox=Box(x=10 * i, y=0, width=9, height=9), confidence=confidence)
        for i, t in enumerate(text.split())
    ]
    line = Line(id="l1", text=text, bbox=Box(x=0, y=0, width=100, height=10), words=words)
    region = Region(id="r1", bbox=line.bbox, lines=[line])
    return PageAnalysis(
        image=PageImage(width=200, height=300),
        regions=[region],
        engine=EngineInfo(name=engine),
        created_at=datetime.now(UTC),
    )


Scripted = PageAnalysis | Exception


class FakeEngine:
    """Answers with a scripted analysis, or raises a scripted error; records every call.

    `result` may depend on the step (e.g. its languages) through a function.
    """

    def __init__(self, name: str, result: Scripted | Callable[[EngineStep], Scripted]) -> None:
        self.name = name
        self.result = result
        self.calls: list[tuple[EngineStep, str | None]] = []

    async def analyze(self, page: PageInput, step: EngineStep, prompt: str | None) -> PageAnalysis:
        self.calls.append((step, prompt))
        result = self.result if isinstance(self.result, Scripted) else self.result(step)
        if isinstance(result, Exception):
            raise result
        return result


class FakeStageEngine:
    """Answers each stage with a function of its prompt; records the prompts."""

    def __init__(self, name: str, answer: Callable[[Stage, str], str]) -> None:
        self.name = name
        self.answer = answer
        self.prompts: list[str] = []

    async def run_stage(self, page: PageInput, stage: Stage, prompt: str) -> str:
        self.prompts.append(prompt)
        return self.answer(stage, prompt)


def normalized_page(artifacts: InMemoryArtifactStore) -> PageImageNormalized:
    data = b"derivative image bytes"
    ref = artifacts.put(data, "image/jpeg")
    digest = hashlib.sha256(b"master").hexdigest()

    def image(width: int, height: int, sha: str) -> ImageRef:
        return ImageRef(sha256=sha, media_type="image/jpeg", bytes=10, width=width, height=height)

    return PageImageNormalized(
        page_id=uuid4(),
        job_id=uuid4(),
        master=image(400, 600, digest),
        derivative=ImageRef(**ref.model_dump(), width=200, height=300),
        thumbnail=image(20, 30, digest),
    )


def ports_with(
    artifacts: InMemoryArtifactStore,
    engines: list[FakeEngine],
    stage_engines: list[FakeStageEngine] | None = None,
    images: InMemoryPageImages | None = None,
    plans: StaticPlanSource | None = None,
) -> AnalyzerPorts:
    return AnalyzerPorts(
        artifacts=artifacts,
        engines={engine.name: engine for engine in engines},
        page_images=images or InMemoryPageImages(),
        plans=plans or StaticPlanSource(),
        profiles=load_profiles(),
        templates=PromptTemplates(),
        scorers=DEFAULT_SCORERS,
        stage_engines={engine.name: engine for engine in stage_engines or []},
    )


def tesseract_cli_text(image: Path, languages: list[str]) -> str:
    """Q1's baseline: the plain `tesseract IMAGE stdout -l LANG` command, one OpenMP thread."""
    result = subprocess.run(
        ["tesseract", str(image), "stdout", "-l", "+".join(languages)],
        capture_output=True,
        check=True,
        env={**os.environ, "OMP_THREAD_LIMIT": "1"},
    )
    return result.stdout.decode("utf-8")


def tesseract_cli_lines(image: Path, languages: list[str]) -> str:
    """The CLI's text shaped as `recto eval` shapes Recto's: its lines, one per line break,
    without the blank lines between its blocks and the form feed that ends its page."""
    lines = tesseract_cli_text(image, languages).replace("\f", "\n").splitlines()
    return "\n".join(line for line in lines if line.strip())


def tesseract_cli_version() -> str:
    result = subprocess.run(["tesseract", "--version"], capture_output=True, check=True)
    return result.stdout.decode("utf-8").split()[1]
