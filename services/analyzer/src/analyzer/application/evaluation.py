"""Evaluate a plan on a folder of ground truth, as OCR-D measures: CER and WER per page.

Each page runs the plan Recto would run (candidates, fallbacks, the corpus profile's
defaults) on the original image file. Its recognised text is what OCR-D reads from Recto's
PAGE export: each region's lines joined by line breaks, regions in reading order joined by
line breaks. Rates are given per page, as a mean over pages and micro-averaged (errors over
reference length, summed over pages).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import anyio
from pydantic import BaseModel

from analyzer.application.attempts import run_plan
from analyzer.application.cer import character_errors, word_errors
from analyzer.application.ports import AnalyzerPorts, PageInput
from analyzer.application.profiles import CorpusProfile, load_profiles
from analyzer.formats.ground_truth import GroundTruthPage, find_ground_truth
from analyzer.formats.images import crop_regions, image_size
from contracts import CandidateResult, EngineStep, PageAnalysis, Plan

PlanChoice = Callable[[GroundTruthPage], tuple[Plan, CorpusProfile]]

# Which profile reads a GT collection, from the collection's folder name.
_PROFILES_BY_COLLECTION = (
    ("cremma", "medieval-textual"),  # medieval French (Old French verse and prose), Latin
    # An 18th-c. Spanish notary hand: a VLM's work; Tesseract's fallback reads eng best here.
    ("kraken-transkribus", "modern-handwritten"),
    ("dta", "german-fraktur"),  # DTA prints, mostly Fraktur
    ("kant", "german-fraktur"),  # Berlinische Monatsschrift 1784, Fraktur
    ("fraktur", "german-fraktur"),
)


def collection_profile(
    image: Path, profiles: Mapping[str, CorpusProfile] | None = None
) -> CorpusProfile:
    """The profile for a GT page, from the name of its collection folder; else `default`."""
    profiles = profiles or load_profiles()
    text = str(image).lower()
    for marker, name in _PROFILES_BY_COLLECTION:
        if marker in text:
            return profiles[name]
    return profiles["default"]


def languages_for(image: Path, profiles: Mapping[str, CorpusProfile] | None = None) -> list[str]:
    """The languages a GT page is read in: its collection profile's."""
    return list(collection_profile(image, profiles).languages)


def offline_plan(profile: CorpusProfile) -> Plan:
    """The profile's plan without the steps that need a remote service: its Tesseract step
    (candidates included) alone, for runs with no VLM at hand (demo, pipeline tests)."""
    local = [step for step in (profile.primary, *profile.fallbacks) if step.engine == "tesseract"]
    step = local[0] if local else EngineStep(engine="tesseract")
    return Plan(primary=step.model_copy(update={"when": None}), profile=profile.name)


def by_collection(profiles: Mapping[str, CorpusProfile] | None = None) -> PlanChoice:
    """Each page gets its collection's profile and that profile's plan."""

    def choose(truth: GroundTruthPage) -> tuple[Plan, CorpusProfile]:
        profile = collection_profile(truth.image, profiles)
        return profile.plan(), profile

    return choose


def one_plan(plan: Plan, profiles: Mapping[str, CorpusProfile] | None = None) -> PlanChoice:
    """Every page gets `plan`, with its profile (or `default`) filling what it leaves out."""
    profile = (profiles or load_profiles())[plan.profile or "default"]
    return lambda truth: (plan, profile)


def tesseract_plan(languages: Sequence[str]) -> Plan:
    return Plan(primary=EngineStep(engine="tesseract", languages=list(languages)))


Layout = Literal["engine", "ground-truth"]
"""Whose regions are read: the engine's own (end to end, layout analysis included), or the
ground truth's, each region cut out and read alone (recognition apart from segmentation, as
OCR-D evaluates a recogniser on ground-truth segmentation)."""


class CandidateEvaluation(BaseModel):
    engine: str
    languages: list[str]
    model: str | None = None
    scores: dict[str, float]
    chosen: bool
    cer: float | None = None
    error: str | None = None
    seconds: float


class PageEvaluation(BaseModel):
    image: str
    ground_truth: str
    format: str
    level: str
    engine: str | None = None
    model: str | None = None
    languages: list[str] = []
    ppi: int | str | None = None
    reference_chars: int
    reference_words: int
    errors: int | None = None
    cer: float | None = None
    word_errors: int | None = None
    wer: float | None = None
    seconds: float
    candidates: list[CandidateEvaluation] = []
    layout: Layout = "engine"
    text: str = ""
    note: str | None = None


class EvaluationReport(BaseModel):
    gt_dir: str
    engine_version: str | None = None
    pages: list[PageEvaluation]
    mean_cer: float | None
    micro_cer: float | None
    mean_wer: float | None
    micro_wer: float | None
    seconds: float
    layout: Layout = "engine"


def recognised_text(analysis: PageAnalysis) -> str:
    """The text OCR-D reads from Recto's PAGE export of `analysis`."""
    regions = ["\n".join(line.text for line in r.lines) for r in analysis.ordered_regions()]
    return "\n".join(text for text in regions if text)


async def evaluate_folder(
    gt_dir: Path,
    ports: AnalyzerPorts,
    choose: PlanChoice | None = None,
    layout: Layout = "engine",
) -> EvaluationReport:
    """Run the chosen plan (by default the page's collection profile) on every GT page."""
    choose = choose or by_collection(ports.profiles)
    started, version = time.perf_counter(), None
    pages = []
    for truth in await anyio.to_thread.run_sync(find_ground_truth, gt_dir):
        plan, profile = choose(truth)
        data = await anyio.Path(truth.image).read_bytes()
        if layout == "ground-truth":
            evaluation, engine_version = await evaluate_regions(
                gt_dir, truth, data, plan, profile, ports
            )
        else:
            page = _page_input(data, truth.image.name)
            evaluation, engine_version = await evaluate_page(
                gt_dir, truth, page, plan, profile, ports
            )
        version = version or engine_version
        pages.append(evaluation)
    report = summarise(str(gt_dir), pages, version, time.perf_counter() - started)
    return report.model_copy(update={"layout": layout})


async def evaluate_page(
    root: Path,
    truth: GroundTruthPage,
    page: PageInput,
    plan: Plan,
    profile: CorpusProfile,
    ports: AnalyzerPorts,
) -> tuple[PageEvaluation, str | None]:
    """One page read with `plan` from `page` (the original file, or a derivative of it)."""
    started = time.perf_counter()
    log = await run_plan(plan, page, ports, profile)
    seconds = time.perf_counter() - started
    kept = log.kept
    if kept is None or kept.outcome.analysis is None:
        note = f"no engine produced a result: {log.last_error}"
        return unread_page(root, truth, seconds, note), None
    analysis = kept.outcome.analysis
    candidates = [
        _candidate(result, outcome.analysis, truth.text)
        for result, outcome in zip(kept.candidates, kept.candidate_outcomes, strict=True)
    ]
    return score_page(root, truth, analysis, seconds, candidates), analysis.engine.version


_GT_LAYOUT = {"layout": "ground-truth"}


async def evaluate_regions(
    root: Path,
    truth: GroundTruthPage,
    data: bytes,
    plan: Plan,
    profile: CorpusProfile,
    ports: AnalyzerPorts,
) -> tuple[PageEvaluation, str | None]:
    """One page read region by region on the ground truth's layout, in its reading order.

    A region no engine could read counts as read empty (its text all deletions)."""
    started = time.perf_counter()
    crops = await anyio.to_thread.run_sync(crop_regions, data, truth.regions)
    texts, analyses = [], []
    for crop in crops:
        log = await run_plan(plan, _page_input(crop, truth.image.name), ports, profile)
        if log.kept is not None and log.kept.outcome.analysis is not None:
            analyses.append(log.kept.outcome.analysis)
            texts.append(recognised_text(log.kept.outcome.analysis))
    seconds = time.perf_counter() - started
    unread = len(crops) - len(analyses)
    if not analyses:
        why = "no region was read" if crops else "no region outlines in the ground truth"
        return unread_page(root, truth, seconds, why).model_copy(update=_GT_LAYOUT), None
    text = "\n".join(t for t in texts if t)
    evaluation = score_page(root, truth, analyses[0], seconds, text=text)
    note = evaluation.note or (f"{unread} of {len(crops)} regions unread" if unread else None)
    evaluation = evaluation.model_copy(update={**_GT_LAYOUT, "note": note})
    return evaluation, analyses[0].engine.version


def _page_input(data: bytes, name: str) -> PageInput:
    size = image_size(data)
    return PageInput(data, hashlib.sha256(data).hexdigest(), size, size, name)


def unread_page(root: Path, truth: GroundTruthPage, seconds: float, note: str) -> PageEvaluation:
    return PageEvaluation(**_page_facts(root, truth), seconds=seconds, note=note)


def score_page(
    root: Path,
    truth: GroundTruthPage,
    analysis: PageAnalysis,
    seconds: float,
    candidates: list[CandidateEvaluation] | None = None,
    text: str | None = None,
) -> PageEvaluation:
    """A page's analysis (or `text` read with it) scored against its ground truth."""
    text = recognised_text(analysis) if text is None else text
    chars, words = character_errors(truth.text, text), word_errors(truth.text, text)
    return PageEvaluation(
        **_page_facts(root, truth),
        engine=analysis.engine.name,
        model=analysis.engine.model,
        languages=analysis.languages,
        ppi=analysis.engine.parameters.get("ppi"),
        errors=chars.distance if chars.length else None,
        cer=chars.rate,
        word_errors=words.distance if words.length else None,
        wer=words.rate,
        seconds=seconds,
        candidates=candidates or [],
        text=text,
        note=None if chars.length else "no ground-truth text (layout-only GT): CER undefined",
    )


def _page_facts(root: Path, truth: GroundTruthPage) -> dict[str, Any]:
    return {
        "image": str(truth.image.relative_to(root)),
        "ground_truth": str(truth.xml.relative_to(root)),
        "format": truth.format,
        "level": truth.level,
        "reference_chars": character_errors(truth.text, "").length,
        "reference_words": word_errors(truth.text, "").length,
    }


def _candidate(
    result: CandidateResult, analysis: PageAnalysis | None, reference: str
) -> CandidateEvaluation:
    text = recognised_text(analysis) if analysis is not None else None
    return CandidateEvaluation(
        engine=result.engine,
        languages=result.languages,
        model=result.model,
        scores=result.scores,
        chosen=result.chosen,
        cer=character_errors(reference, text).rate if text is not None else None,
        error=result.error,
        seconds=result.duration_ms / 1000,
    )


def summarise(
    gt_dir: str, pages: list[PageEvaluation], version: str | None, seconds: float
) -> EvaluationReport:
    measured = [p for p in pages if p.cer is not None]
    with_words = [p for p in pages if p.wer is not None]
    chars = sum(p.reference_chars for p in measured)
    words = sum(p.reference_words for p in with_words)
    return EvaluationReport(
        gt_dir=gt_dir,
        engine_version=version,
        pages=pages,
        mean_cer=sum(p.cer or 0 for p in measured) / len(measured) if measured else None,
        micro_cer=sum(p.errors or 0 for p in measured) / chars if chars else None,
        mean_wer=sum(p.wer or 0 for p in with_words) / len(with_words) if with_words else None,
        micro_wer=sum(p.word_errors or 0 for p in with_words) / words if words else None,
        seconds=seconds,
    )
