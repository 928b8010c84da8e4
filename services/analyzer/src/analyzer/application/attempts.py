"""Run a plan's primary engine and, when their conditions hold, its fallbacks in order.

Each fallback's condition is judged on the latest attempt; the page keeps the latest result
that succeeded, since a fallback runs only because what came before was judged not enough.
A fallback without a condition runs when the previous attempt failed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from analyzer.application.ports import AnalyzerPorts, PageInput
from analyzer.application.profiles import CorpusProfile
from analyzer.application.prompts import PromptTemplates
from analyzer.domain.conditions import Outcome, parse_condition
from analyzer.domain.engines import PROMPTED_ENGINES
from analyzer.domain.scorers import score_analysis
from contracts import EngineStep, PageAnalysis, Plan
from contracts.errors import EngineFailed, RectoError


@dataclass
class Attempt:
    number: int
    step: EngineStep
    outcome: Outcome


@dataclass
class AttemptLog:
    attempts: list[Attempt] = field(default_factory=list)

    @property
    def result(self) -> PageAnalysis | None:
        for attempt in reversed(self.attempts):
            if attempt.outcome.analysis is not None:
                return attempt.outcome.analysis
        return None

    @property
    def last_error(self) -> Exception | None:
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


async def attempt_step(
    number: int,
    step: EngineStep,
    page: PageInput,
    ports: AnalyzerPorts,
    profile: CorpusProfile,
    templates: PromptTemplates,
) -> Attempt:
    engine = ports.engines.get(step.engine)
    if engine is None:
        error = EngineFailed(f"engine {step.engine!r} is not configured on this analyzer")
        error.retryable = False
        return Attempt(number, step, Outcome(error=error))
    try:
        prompt = None
        if step.prompt is not None:
            prompt = templates.render(step.prompt, prompt_context(page, step, profile))
        analysis = await engine.analyse(page, step, prompt)
    except RectoError as error:
        return Attempt(number, step, Outcome(error=error))
    scored = analysis.model_copy(update={"scores": score_analysis(analysis, ports.scorers)})
    return Attempt(number, step, Outcome(analysis=scored))


def next_fallback(plan: Plan, tried: int, latest: Outcome) -> tuple[int, EngineStep] | None:
    """The first fallback after the `tried` ones whose condition holds on the latest outcome."""
    for index in range(tried, len(plan.fallbacks)):
        step = plan.fallbacks[index]
        condition = parse_condition(step.when or "engine_error")
        if condition.holds(latest):
            return index, step
    return None
