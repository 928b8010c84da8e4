"""Fallback conditions: a tiny, safe grammar, evaluated without `eval`.

condition  := clause (("or" | "and") clause)*      -- "and" binds tighter than "or"
clause     := "engine_error" | "empty" | metric op number
metric     := "mean_confidence" | "word_count" | "line_count" | "score." name
op         := "<" | "<=" | ">" | ">=" | "==" | "!="
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass

from contracts import PageAnalysis
from contracts.errors import ContractError, RectoError

_OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}
_COMPARISON = re.compile(
    r"^(?P<metric>mean_confidence|word_count|line_count|score\.[a-z][a-z0-9_]*)\s*"
    r"(?P<op><=|>=|==|!=|<|>)\s*(?P<number>-?\d+(?:\.\d+)?)$"
)
_FLAGS = {"engine_error", "empty"}


@dataclass(frozen=True)
class Outcome:
    """What an attempt produced: an analysis, or the error that stopped it."""

    analysis: PageAnalysis | None = None
    error: RectoError | None = None


@dataclass(frozen=True)
class _Clause:
    flag: str | None = None
    metric: str | None = None
    op: str = "<"
    number: float = 0.0

    def holds(self, outcome: Outcome) -> bool:
        analysis = outcome.analysis
        if self.flag == "engine_error":
            return outcome.error is not None
        if analysis is None:
            # Without a result no metric is known; only a failed attempt can trigger a fallback.
            return False
        if self.flag == "empty":
            return not analysis.lines()
        value = _metric(analysis, self.metric or "")
        return value is not None and _OPERATORS[self.op](value, self.number)


@dataclass(frozen=True)
class Condition:
    """Disjunction of conjunctions of clauses."""

    alternatives: tuple[tuple[_Clause, ...], ...]
    source: str

    def holds(self, outcome: Outcome) -> bool:
        return any(all(c.holds(outcome) for c in group) for group in self.alternatives)


def parse_condition(text: str) -> Condition:
    """Parse a condition, raising `ContractError` with the offending part."""
    if not text.strip():
        raise ContractError("empty condition")
    alternatives = []
    for group in re.split(r"\s+or\s+", text.strip()):
        alternatives.append(tuple(_parse_clause(part) for part in re.split(r"\s+and\s+", group)))
    return Condition(alternatives=tuple(alternatives), source=text)


def _parse_clause(text: str) -> _Clause:
    text = text.strip()
    if text in _FLAGS:
        return _Clause(flag=text)
    match = _COMPARISON.match(text)
    if match is None:
        raise ContractError(
            f"cannot read condition {text!r}: expected engine_error, empty or "
            "'<metric> <op> <number>' with metric mean_confidence, word_count, line_count "
            "or score.<name>"
        )
    return _Clause(metric=match["metric"], op=match["op"], number=float(match["number"]))


def _metric(analysis: PageAnalysis, metric: str) -> float | None:
    if metric == "mean_confidence":
        return analysis.mean_confidence()
    if metric == "word_count":
        return float(len(analysis.words()))
    if metric == "line_count":
        return float(len(analysis.lines()))
    return analysis.scores.get(metric.removeprefix("score."))
