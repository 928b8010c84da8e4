"""Character error rate on whitespace-normalised NFC text."""

from __future__ import annotations

import unicodedata

from rapidfuzz.distance import Levenshtein


def normalise_text(text: str) -> str:
    """NFC, every run of whitespace (line breaks included) collapsed to one space."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def cer(reference: str, hypothesis: str) -> float:
    """Edit distance over the reference's length; 0 for two empty texts, 1 for an empty one."""
    ref, hyp = normalise_text(reference), normalise_text(hypothesis)
    if not ref:
        return 0.0 if not hyp else 1.0
    return Levenshtein.distance(ref, hyp) / len(ref)


def errors(reference: str, hypothesis: str) -> tuple[int, int]:
    """(edit distance, reference length): sum these over pages for a corpus-level CER."""
    ref, hyp = normalise_text(reference), normalise_text(hypothesis)
    return Levenshtein.distance(ref, hyp), len(ref)
