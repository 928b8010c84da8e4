"""Run a plan's primary engine and, when their conditions hold, its fallbacks in order.

Each fallback's condition is judged on the latest attempt; the page keeps the latest result
that succeeded, since a fallback runs only because what came before was judged not enough.
A fallback without a condition runs when the previous attempt failed.

A step with candidates (two language sets, two models, two engines…) runs each of them and
keeps the one its scorer rates highest; the first listed wins a tie, and a candidate that
fails or cannot be scored never wins over one that can.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from analyzer.application.ports import AnalyzerPorts, PageInput
from analyzer.application.profiles import CorpusProfile
from analyzer.domain.conditions import Outcome, parse_condition
from analyzer.domain.engines import PROMPTED_ENGINES
from analyzer.domain.scorers import score_analysis
from contracts import CandidateResult, EngineStep, PageAnalysis, Plan
from contracts.errors import EngineFailed, RectoError


@dataclass
class Attempt:
    number: int
    step: EngineStep
    outcome: Outcome
    candidates: list[CandidateResult] = field(default_factory=list)
    candidate_outcomes: list[Outcome] = field(default_factory=list)


@dataclass
class AttemptLog:
    attempts: list[Attempt] = field(default_factory=list)

    @property
    def kept(self) -> Attempt | None:
        """The latest attempt that produced an analysis: the page's result."""
        for attempt in reversed(self.attempts):
            if attempt.outcome.analysis is not None:
                return attempt
        return None

    @property
    def result(self) -> PageAnalysis | None:
        kept = self.kept
        return kept.outcome.analysis if kept else None

    @property
    def last_error(self) -> RectoError | None:
        return self.attempts[-1].outcome.error if self.attempts else None


def resolve_step(step: EngineStep, profile: CorpusProfile) -> EngineStep:
    """Fill what the plan left out from the corpus profile."""
    prompt = step.prompt
    if prompt is None and step.engine in PROMPTED_ENGINES:
        prompt = profile.prompt
    return step.model_copy(
        update={
            "languages": step.languages or profile.languages,
            "model": step.model or (profile.vlm_model if step.engine in PROMPTED_ENGINES else None),
            "prompt": prompt,
        }
    )


def prompt_context(page: PageInput, step: EngineStep, profile: CorpusProfile) -> dict[str, Any]:
    return {
        **page.variables,
        "languages": step.languages,
        "script": profile.script,
        "profile": profile.name,
        "width": page.derivative.width,
        "height": page.derivative.height,
    }


async def run_plan(
    plan: Plan,
    page: PageInput,
    ports: AnalyzerPorts,
    profile: CorpusProfile,
    on_start: Callable[[EngineStep, int], None] = lambda step, number: None,
) -> AttemptLog:
    """The primary step, then each fallback whose condition holds; `on_start` hears of each."""
    log = AttemptLog()
    step, tried = plan.primary, 0
    while True:
        step = resolve_step(step, profile)
        number = len(log.attempts) + 1
        on_start(step, number)
        log.attempts.append(await attempt_step(number, step, page, ports, profile))
        chosen = next_fallback(plan, tried, log.attempts[-1].outcome)
        if chosen is None:
            return log
        index, step = chosen
        tried = index + 1


async def attempt_step(
    number: int,
    step: EngineStep,
    page: PageInput,
    ports: AnalyzerPorts,
    profile: CorpusProfile,
) -> Attempt:
    runs = [resolve_step(run, profile) for run in step.runs()]
    if not step.candidates:
        return Attempt(number, step, await _run_once(runs[0], page, ports, profile))
    outcomes, results = [], []
    for run in runs:
        started = time.perf_counter()
        outcome = await _run_once(run, page, ports, profile)
        outcomes.append(outcome)
        results.append(
            CandidateResult(
                engine=run.engine,
                languages=run.languages,
                model=run.model,
                scores=outcome.analysis.scores if outcome.analysis else {},
                error=f"{type(outcome.error).__name__}: {outcome.error}" if outcome.error else None,
                duration_ms=(time.perf_counter() - started) * 1000,
            )
        )
    best = max(range(len(runs)), key=lambda i: _rank(outcomes[i], step.choose_by, i))
    if outcomes[best].analysis is not None:
        results[best] = results[best].model_copy(update={"chosen": True})
    return Attempt(number, step, outcomes[best], results, outcomes)


def _rank(outcome: Outcome, scorer: str, index: int) -> tuple[int, float, int]:
    """Results before failures, then the higher score, then the earlier candidate."""
    if outcome.analysis is None:
        return (0, -math.inf, -index)
    score = outcome.analysis.scores.get(scorer)
    return (1, -math.inf if score is None else score, -index)


async def _run_once(
    step: EngineStep,
    page: PageInput,
    ports: AnalyzerPorts,
    profile: CorpusProfile,
) -> Outcome:
    engine = ports.engines.get(step.engine)
    if engine is None:
        error = EngineFailed(f"engine {step.engine!r} is not configured on this analyzer")
        error.retryable = False
        return Outcome(error=error)
    try:
        prompt = None
        if step.prompt is not None:
            prompt = ports.templates.render(step.prompt, prompt_context(page, step, profile))
        analysis = await engine.analyze(page, step, prompt)
    except RectoError as error:
        return Outcome(error=error)
    scores = score_analysis(analysis, ports.scorers)
    return Outcome(analysis=analysis.model_copy(update={"scores": scores}))


def next_fallback(plan: Plan, tried: int, latest: Outcome) -> tuple[int, EngineStep] | None:
    """The first fallback after the `tried` ones whose condition holds on the latest outcome."""
    for index in range(tried, len(plan.fallbacks)):
        step = plan.fallbacks[index]
        condition = parse_condition(step.when or "engine_error")
        if condition.holds(latest):
            return index, step
    return None
