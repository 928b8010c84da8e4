"""Parse a VLM's answer into a `PageAnalysis`, forgiving the usual wrapping but nothing else.

Models wrap JSON in code fences, add a sentence before it, or leave trailing commas; those
are peeled off. What remains must validate against `VlmPage`, or the answer is unparseable.
"""

from __future__ import annotations

import json
import re
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from analyzer.domain.geometry import Scaling
from contracts import Box, Line, Region, RegionType
from contracts.errors import UnparseableResponse

BoxList = Annotated[list[float], Field(min_length=4, max_length=4)]


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class VlmLine(_Lenient):
    text: str
    bbox: BoxList | None = None
    confidence: float | None = Field(default=None, ge=0, le=1)


class VlmRegion(_Lenient):
    type: RegionType = RegionType.TEXT
    bbox: BoxList | None = None
    lines: list[VlmLine] = Field(default_factory=list)


class VlmPage(_Lenient):
    language: str | None = None
    regions: list[VlmRegion] = Field(default_factory=list)


_FENCE = re.compile(r"```(?:json|JSON)?\s*\n?(.*?)```", re.DOTALL)


def extract_json(text: str) -> str:
    """The JSON object inside an answer: fenced block first, else first `{` to last `}`."""
    fenced = _FENCE.search(text)
    if fenced:
        text = fenced.group(1)
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end < start:
        raise UnparseableResponse("the answer holds no JSON object")
    return _drop_trailing_commas(text[start : end + 1])


def _drop_trailing_commas(text: str) -> str:
    """Remove commas that directly precede `}` or `]`, leaving string contents alone."""
    out: list[str] = []
    in_string = escaped = False
    for index, char in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char == ",":
            rest = text[index + 1 :].lstrip()
            if rest[:1] in ("}", "]"):
                continue
        out.append(char)
    return "".join(out)


def parse_answer(text: str) -> VlmPage:
    try:
        return VlmPage.model_validate(json.loads(extract_json(text)))
    except (json.JSONDecodeError, ValidationError) as error:
        raise UnparseableResponse(f"the answer is not the expected JSON: {error}") from None


def regions_from_answer(page: VlmPage, scaling: Scaling) -> list[Region]:
    """Regions in master pixels; a missing box falls back to the whole page."""
    everything = [0.0, 0.0, float(scaling.source.width), float(scaling.source.height)]
    regions = []
    for r_index, answer in enumerate(page.regions, start=1):
        region_box = _box(answer.bbox or everything, scaling)
        lines = [
            Line(
                id=f"r{r_index}_l{l_index}",
                text=line.text.strip(),
                bbox=_box(line.bbox, scaling) if line.bbox else region_box,
                confidence=line.confidence,
                language=page.language,
            )
            for l_index, line in enumerate(answer.lines, start=1)
            if line.text.strip()
        ]
        regions.append(Region(id=f"r{r_index}", type=answer.type, bbox=region_box, lines=lines))
    return regions


def _box(values: list[float], scaling: Scaling) -> Box:
    x, y, width, height = values
    return scaling.corners(x, y, x + max(width, 0), y + max(height, 0))
