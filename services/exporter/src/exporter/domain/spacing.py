"""Where a line's text puts spaces between its words (ALTO marks them with `SP`).

OCR ground truth often splits punctuation into its own word (`Frage` `:`) while the line reads
`Frage:`; writing a space between every pair of words would change the text.
"""

from __future__ import annotations

from contracts import Line


def spaced_gaps(line: Line) -> list[bool]:
    """For each pair of neighbouring words, whether the line's text separates them."""
    gaps: list[bool] = []
    position = 0
    for index, word in enumerate(line.words):
        found = line.text.find(word.text, position) if word.text else position
        if found < 0:
            # The words do not spell the line: fall back to a space between every word.
            return [True] * max(0, len(line.words) - 1)
        if index:
            gaps.append(found > position)
        position = found + len(word.text)
    return gaps


def join_words(texts: list[str], gaps: list[bool]) -> str:
    parts = texts[:1]
    for text, spaced in zip(texts[1:], gaps, strict=True):
        parts.append(" " + text if spaced else text)
    return "".join(parts)
