"""Character and word error rates, measured as OCR-D's dinglehopper measures them.

Both texts are normalized alike (NFC, ligatures unjoined, the few equivalences OCR-D uses for
historical prints); characters are grapheme clusters, so a base letter with its combining
marks is one character; whitespace and line breaks count as characters, as they do in OCR-D.
CER is the edit distance over grapheme clusters divided by the reference's length; WER the
edit distance over words (Unicode word boundaries, punctuation-only tokens left out) divided
by the reference's word count.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from rapidfuzz.distance import Levenshtein
from uniseg.graphemecluster import grapheme_clusters
from uniseg.wordbreak import words as word_segments

# dinglehopper's `unjoin_ligatures` and `substitute_equivalences` (extracted_text.py), in order;
# the private-use code points are MUFI's.
_LIGATURES = {
    "\ueba6": "ſſ",
    "\ueba7": "ſſi",
    "\uf502": "ch",
    "\ueec4": "ck",
    "\uf4f9": "ll",
    "\ueba2": "ſi",
    "\ueada": "ſt",
    "\ufb01": "fi",
    "\ufb00": "ff",
    "\ufb02": "fl",
    "\ufb03": "ffi",
    "\ueec5": "ct",
    "\ueedc": "tz",
    "\uf532": "as",
    "\uf533": "is",
    "\uf534": "us",
    "\uf535": "Qu",
    "\u0133": "ij",
    "\ue8bf": "q&",
    "\ueba5": "ſp",
    "\ufb06": "st",
}
_EQUIVALENCES = {
    "\ue72b": "ü",
    "\ue42c": "ä",
    "==": "–",
    "—": "–",
    "\ue644": "ö",
    "’": "'",
    "⸗": "-",
    "a\u0364": "ä",
    "o\u0364": "ö",
    "u\u0364": "ü",
    "\uf50e": "q\u0301",
}


def normalize_text(text: str) -> str:
    """OCR-D's normalization (dinglehopper's `normalize_sbb`): NFC, ligatures, equivalences."""
    text = unicodedata.normalize("NFC", text)
    for ligature, letters in _LIGATURES.items():
        text = text.replace(ligature, letters)
    for old, new in _EQUIVALENCES.items():
        text = text.replace(old, new)
    return text


def characters(text: str) -> list[str]:
    """The normalized text's grapheme clusters."""
    return list(grapheme_clusters(normalize_text(text)))


def words(text: str) -> list[str]:
    """The normalized text's words: Unicode word segments that hold a letter, digit or symbol
    other than punctuation, spacing, marks and controls."""
    return [w for w in word_segments(normalize_text(text)) if not all(map(_unwanted, w))]


def _unwanted(character: str) -> bool:
    category = unicodedata.category(character)
    return category[0] in "OMPZS" or category in ("Cc", "Cf")


@dataclass(frozen=True)
class Errors:
    """Edit distance and reference length: sum these over pages for a micro-averaged rate."""

    distance: int
    length: int

    @property
    def rate(self) -> float | None:
        """None when the reference is empty: no rate can be said."""
        return self.distance / self.length if self.length else None


def character_errors(reference: str, hypothesis: str) -> Errors:
    ref = characters(reference)
    return Errors(Levenshtein.distance(ref, characters(hypothesis)), len(ref))


def word_errors(reference: str, hypothesis: str) -> Errors:
    ref = words(reference)
    return Errors(Levenshtein.distance(ref, words(hypothesis)), len(ref))


def cer(reference: str, hypothesis: str) -> float:
    """Character error rate; 0 for two empty texts, 1 when only the reference is empty."""
    measured = character_errors(reference, hypothesis)
    if measured.rate is None:
        return 1.0 if measured.distance else 0.0
    return measured.rate


def wer(reference: str, hypothesis: str) -> float:
    """Word error rate; 0 for two texts without words, 1 when only the reference has none."""
    measured = word_errors(reference, hypothesis)
    if measured.rate is None:
        return 1.0 if measured.distance else 0.0
    return measured.rate
