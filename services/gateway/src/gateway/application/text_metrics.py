"""Character and word error rates between two texts, counted in user-perceived characters.

A letter with its combining accents (e + U+0301), or an emoji sequence joined by U+200D,
counts as one character, so an edit that adds an accent costs one, as a reader sees it.
Texts are NFC-normalised and their whitespace collapsed first, as the analyzer's CER does.
"""

from __future__ import annotations

import unicodedata

from rapidfuzz.distance import Levenshtein

_JOINERS = {"\u200d"}


def normalise(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def graphemes(text: str) -> list[str]:
    """A cheap approximation of extended grapheme clusters: marks, variation selectors and
    what follows a zero-width joiner stay with the character before them."""
    clusters: list[str] = []
    for character in text:
        attaches = (
            unicodedata.category(character) in {"Mn", "Mc", "Me"}
            or 0xFE00 <= ord(character) <= 0xFE0F
            or character in _JOINERS
            or (clusters and clusters[-1][-1] in _JOINERS)
        )
        if attaches and clusters:
            clusters[-1] += character
        else:
            clusters.append(character)
    return clusters


def cer(reference: str, hypothesis: str) -> float:
    """Edits over the reference's length; 0 for two empty texts, 1 against an empty one."""
    ref, hyp = graphemes(normalise(reference)), graphemes(normalise(hypothesis))
    if not ref:
        return 0.0 if not hyp else 1.0
    return Levenshtein.distance(ref, hyp) / len(ref)


def wer(reference: str, hypothesis: str) -> float:
    ref, hyp = normalise(reference).split(), normalise(hypothesis).split()
    if not ref:
        return 0.0 if not hyp else 1.0
    return Levenshtein.distance(ref, hyp) / len(ref)
