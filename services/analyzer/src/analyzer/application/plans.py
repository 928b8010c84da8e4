"""Check a plan before a job is accepted: the gateway answers 422 with these problems."""

from __future__ import annotations

from functools import cache

from analyzer.application.profiles import load_profiles
from analyzer.application.prompts import PromptTemplates
from analyzer.domain.conditions import parse_condition
from analyzer.domain.engines import ANALYSIS_ENGINES, PROMPTED_ENGINES, STAGE_ENGINES
from analyzer.domain.scorers import DEFAULT_SCORERS
from contracts import EngineStep, Plan
from contracts.errors import ContractError

_SCORERS = frozenset(scorer.name for scorer in DEFAULT_SCORERS)


@cache
def _profile_names() -> frozenset[str]:
    return frozenset(load_profiles())


def validate_plan(plan: Plan, templates: PromptTemplates) -> list[str]:
    """Every problem found, each naming where it is; an empty list means the plan can run."""
    problems: list[str] = []
    if plan.profile is not None and plan.profile not in _profile_names():
        problems.append(f"profile: unknown corpus profile {plan.profile!r}")
    steps = [("primary", plan.primary)] + [
        (f"fallbacks[{i}]", step) for i, step in enumerate(plan.fallbacks)
    ]
    for where, step in steps:
        problems += _step_problems(where, step, templates)
        if step.candidates and step.choose_by not in _SCORERS:
            problems.append(
                f"{where}.choose_by: unknown scorer {step.choose_by!r} (known: {sorted(_SCORERS)})"
            )
        for i, run in enumerate(step.runs() if step.candidates else []):
            problems += _step_problems(f"{where}.candidates[{i}]", run, templates)
        if step.when is not None:
            if where == "primary":
                problems.append("primary: a condition ('when') only applies to fallbacks")
            else:
                try:
                    parse_condition(step.when)
                except ContractError as error:
                    problems.append(f"{where}.when: {error}")
    names = [stage.name for stage in plan.stages]
    for i, stage in enumerate(plan.stages):
        where = f"stages[{i}] ({stage.name})"
        if stage.engine not in STAGE_ENGINES:
            known = sorted(STAGE_ENGINES)
            problems.append(f"{where}: engine {stage.engine!r} cannot run stages (known: {known})")
        if names.count(stage.name) > 1:
            problems.append(f"{where}: stage names must be unique")
        if problem := templates.problem(stage.prompt):
            problems.append(f"{where}.prompt: {problem}")
    return problems


def _step_problems(where: str, step: EngineStep, templates: PromptTemplates) -> list[str]:
    problems = []
    if step.engine not in ANALYSIS_ENGINES:
        problems.append(
            f"{where}: unknown engine {step.engine!r} (known: {sorted(ANALYSIS_ENGINES)})"
        )
    if step.prompt is not None:
        if step.engine not in PROMPTED_ENGINES:
            problems.append(f"{where}: engine {step.engine!r} takes no prompt")
        elif problem := templates.problem(step.prompt):
            problems.append(f"{where}.prompt: {problem}")
    return problems
