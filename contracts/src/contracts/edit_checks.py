"""What an edit's text and geometry must satisfy before it may touch a transcription."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated

from pydantic import AfterValidator

from contracts.analysis import Box, PageImage, Point
from contracts.geometry import box_inside, points_inside, polygon_problem


@dataclass(frozen=True)
class EditLimits:
    """Bounds on one edit; the gateway takes them from its settings."""

    max_line_chars: int = 10_000
    max_polygon_points: int = 500


def text_problem(text: str, limits: EditLimits) -> str | None:
    """Why this cannot be a line's text, or None.

    Control characters (line breaks and tabs included: a line is one line), lone surrogates
    (what an invalid UTF-8 byte becomes once escaped) and Unicode noncharacters are refused:
    XML 1.0 cannot carry most of them and none belongs in a transcription.
    """
    if len(text) > limits.max_line_chars:
        return f"the text has {len(text)} characters, over the limit of {limits.max_line_chars}"
    for offset, character in enumerate(text):
        category = unicodedata.category(character)
        if category == "Cc":
            return f"control character U+{ord(character):04X} at offset {offset}"
        if category == "Cs":
            return f"lone surrogate U+{ord(character):04X} (not valid UTF-8) at offset {offset}"
        if _noncharacter(character):
            return f"noncharacter U+{ord(character):04X} at offset {offset}"
    return None


def storable(text: str) -> str:
    """Refuse what no event can hold: NUL (PostgreSQL's jsonb refuses it) and lone
    surrogates (an invalid UTF-8 byte, escaped; no UTF-8 serialiser accepts one)."""
    for offset, character in enumerate(text):
        if character == "\x00" or unicodedata.category(character) == "Cs":
            raise ValueError(f"character U+{ord(character):04X} at offset {offset} cannot be kept")
    return text


StorableText = Annotated[str, AfterValidator(storable)]


def _noncharacter(character: str) -> bool:
    code = ord(character)
    return 0xFDD0 <= code <= 0xFDEF or (code & 0xFFFE) == 0xFFFE


def is_combining(character: str) -> bool:
    """A mark that belongs to the character before it (a split may not fall before one)."""
    return unicodedata.category(character) in {"Mn", "Mc", "Me"} or character in "\u200d\u200c"


def geometry_problems(
    image: PageImage,
    limits: EditLimits,
    *,
    bbox: Box | None = None,
    polygon: Sequence[Point] | None = None,
    baseline: Sequence[Point] | None = None,
) -> list[str]:
    """Everything wrong with new geometry on this page (each outline checked if given)."""
    width, height = image.width, image.height
    problems = []
    if bbox is not None:
        if bbox.width == 0 or bbox.height == 0:
            problems.append("the box has no area")
        elif not box_inside(bbox, width, height):
            problems.append(
                f"the box {bbox.x},{bbox.y} {bbox.width}×{bbox.height} reaches outside "
                f"the {width}×{height} page"
            )
    if polygon is not None:
        if len(polygon) > limits.max_polygon_points:
            problems.append(
                f"the polygon has {len(polygon)} points, over the limit of "
                f"{limits.max_polygon_points}"
            )
        elif problem := polygon_problem(polygon, width, height):
            problems.append(problem)
    if baseline is not None:
        if len(baseline) > limits.max_polygon_points:
            problems.append(f"the baseline has {len(baseline)} points, over the limit")
        elif not points_inside(baseline, width, height):
            problems.append(f"baseline points lie outside the {width}×{height} page")
    return problems
