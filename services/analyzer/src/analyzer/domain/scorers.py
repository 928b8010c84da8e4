"""Scorers rate an analysis from 0 to 1; a scorer that fails is logged and skipped."""

from __future__ import annotations

import logging
import math
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from contracts import PageAnalysis

log = logging.getLogger(__name__)

ScoreFunction = Callable[[PageAnalysis], float | None]


@dataclass(frozen=True)
class Scorer:
    name: str
    score: ScoreFunction


def mean_word_confidence(analysis: PageAnalysis) -> float | None:
    return analysis.mean_confidence()


# A token looks like a dictionary word when it is letters only (inner apostrophes or hyphens
# allowed), once leading and trailing punctuation is stripped. Numbers count as well-formed.
_WORDLIKE = re.compile(r"^(?:[^\W\d_]+(?:['’\-][^\W\d_]+)*|\d+(?:[.,]\d+)*)$")
_EDGE_PUNCTUATION = "\"'“”‘’«»()[]{}.,;:!?¶·-—–/"


def dictionary_like_share(analysis: PageAnalysis) -> float | None:
    """Share of tokens that could be words: a language-agnostic sanity check on OCR noise."""
    tokens = [t.strip(_EDGE_PUNCTUATION) for t in analysis.text().split()]
    tokens = [unicodedata.normalize("NFC", t) for t in tokens if t]
    if not tokens:
        return None
    return sum(1 for t in tokens if _WORDLIKE.match(t) and len(t) <= 30) / len(tokens)


DEFAULT_SCORERS = (
    Scorer("mean_word_confidence", mean_word_confidence),
    Scorer("dictionary_like", dictionary_like_share),
)


def score_analysis(analysis: PageAnalysis, scorers: Iterable[Scorer]) -> dict[str, float]:
    """Run every scorer; clamp to 0..1; skip (and log) scorers that raise or return nothing."""
    scores: dict[str, float] = {}
    for scorer in scorers:
        try:
            value = scorer.score(analysis)
        except Exception:
            log.exception("scorer %s failed on page %s; skipped", scorer.name, analysis.page_id)
            continue
        if value is None or math.isnan(value):
            continue
        scores[scorer.name] = min(max(float(value), 0.0), 1.0)
    return scores
