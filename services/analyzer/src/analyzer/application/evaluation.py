"""Evaluate an engine on a folder of ground truth: CER per page and overall (Q1)."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import anyio
from pydantic import BaseModel

from analyzer.adapters.ground_truth import GroundTruthPage, find_ground_truth
from analyzer.adapters.images import image_size
from analyzer.application.cer import errors
from analyzer.application.ports import Engine, PageInput
from contracts import EngineStep
from contracts.errors import RectoError

LanguageChoice = Sequence[str] | Callable[[Path], list[str]] | None

# Language data installed for Tesseract, chosen per collection from its folder name.
_LANGUAGES_BY_COLLECTION = (
    ("cremma", ["fra", "lat"]),  # medieval French (Old French verse and prose) with Latin
    ("kraken-transkribus", ["fra", "lat"]),  # 18th-c. Spanish notary hand; no spa data installed
    ("dta", ["frk"]),  # DTA prints, mostly Fraktur: the Fraktur model beats deu
    ("kant", ["frk"]),  # Berlinische Monatsschrift 1784, Fraktur
    ("fraktur", ["frk"]),
)


def languages_for(image: Path) -> list[str]:
    """Tesseract languages for a GT page, from the name of its collection folder."""
    text = str(image).lower()
    for marker, languages in _LANGUAGES_BY_COLLECTION:
        if marker in text:
            return list(languages)
    return ["eng"]


class PageEvaluation(BaseModel):
    image: str
    ground_truth: str
    format: str
    languages: list[str]
    reference_chars: int
    errors: int | None = None
    cer: float | None = None
    seconds: float
    text: str = ""
    note: str | None = None


class EvaluationReport(BaseModel):
    gt_dir: str
    engine: str
    engine_version: str | None = None
    pages: list[PageEvaluation]
    overall_cer: float | None
    seconds: float


async def evaluate_folder(
    gt_dir: Path, engine: Engine, languages: LanguageChoice = None
) -> EvaluationReport:
    """Run `engine` on every image with PAGE/ALTO ground truth under `gt_dir`.

    `languages`: one list for every page, a function of the image path, or None to choose
    per collection (`languages_for`). The report says which languages each page used.
    """
    started, version = time.perf_counter(), None
    pages = []
    for truth in await anyio.to_thread.run_sync(find_ground_truth, gt_dir):
        chosen = _choose(languages, truth.image)
        evaluation, engine_version = await _evaluate_page(gt_dir, truth, engine, chosen)
        version = version or engine_version
        pages.append(evaluation)
    measured = [p for p in pages if p.errors is not None and p.reference_chars]
    total_chars = sum(p.reference_chars for p in measured)
    overall = sum(p.errors or 0 for p in measured) / total_chars if total_chars else None
    return EvaluationReport(
        gt_dir=str(gt_dir),
        engine=engine.name,
        engine_version=version,
        pages=pages,
        overall_cer=overall,
        seconds=time.perf_counter() - started,
    )


def _choose(languages: LanguageChoice, image: Path) -> list[str]:
    if languages is None:
        return languages_for(image)
    if callable(languages):
        return languages(image)
    return list(languages)


async def _evaluate_page(
    root: Path, truth: GroundTruthPage, engine: Engine, languages: list[str]
) -> tuple[PageEvaluation, str | None]:
    data = await anyio.Path(truth.image).read_bytes()
    size = image_size(data)
    page = PageInput(data, hashlib.sha256(data).hexdigest(), size, size, truth.image.name)
    reference_chars = errors(truth.text, "")[1]
    common = {
        "image": str(truth.image.relative_to(root)),
        "ground_truth": str(truth.xml.relative_to(root)),
        "format": truth.format,
        "languages": languages,
        "reference_chars": reference_chars,
    }
    started = time.perf_counter()
    try:
        analysis = await engine.analyse(
            page, EngineStep(engine=engine.name, languages=languages), None
        )
    except RectoError as error:
        seconds = time.perf_counter() - started
        return PageEvaluation(**common, seconds=seconds, note=f"engine failed: {error}"), None
    seconds = time.perf_counter() - started
    text = analysis.text()
    if not reference_chars:
        note = "no ground-truth text (layout-only GT): CER undefined"
        return PageEvaluation(
            **common, seconds=seconds, text=text, note=note
        ), analysis.engine.version
    distance, _ = errors(truth.text, text)
    evaluation = PageEvaluation(
        **common, errors=distance, cer=distance / reference_chars, seconds=seconds, text=text
    )
    return evaluation, analysis.engine.version
