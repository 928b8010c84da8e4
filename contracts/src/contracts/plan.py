"""What a job runs on each page: a primary engine, fallbacks with conditions, further stages."""

from __future__ import annotations

from typing import Any, Literal, cast, get_args

from pydantic import Field

from contracts.base import Contract


class Candidate(Contract):
    """One way to run a step; what it leaves out, it takes from the step."""

    engine: str | None = Field(default=None, min_length=1, description="default: the step's")
    languages: list[str] = Field(default_factory=list, description="default: the step's")
    model: str | None = None
    prompt: str | None = None
    params: dict[str, Any] = Field(default_factory=dict, description="merged over the step's")


class EngineStep(Contract):
    engine: str = Field(min_length=1, description="registered engine name, e.g. tesseract, vlm")
    languages: list[str] = Field(default_factory=list)
    model: str | None = None
    prompt: str | None = Field(default=None, description="prompt template name or inline text")
    params: dict[str, Any] = Field(default_factory=dict)
    when: str | None = Field(
        default=None,
        description="condition for a fallback, e.g. 'mean_confidence < 0.6' or 'engine_error'",
    )
    candidates: list[Candidate] = Field(
        default_factory=list,
        description="run each of these instead of the step alone and keep the best by "
        "`choose_by`, e.g. two language sets; empty: the step runs once as it is",
    )
    choose_by: str = Field(
        default="mean_word_confidence",
        min_length=1,
        description="the scorer whose highest score picks the kept candidate",
    )

    def runs(self) -> list[EngineStep]:
        """The steps this one stands for: itself, or one per candidate, filled from itself."""
        runs = []
        for candidate in self.candidates:
            engine = candidate.engine or self.engine
            # A model or prompt belongs to its engine: another engine does not inherit it.
            same = engine == self.engine
            update = {
                "engine": engine,
                "languages": candidate.languages or self.languages,
                "model": candidate.model or (self.model if same else None),
                "prompt": candidate.prompt or (self.prompt if same else None),
                "params": {**self.params, **candidate.params} if same else candidate.params,
                "candidates": [],
            }
            runs.append(self.model_copy(update=update))
        return runs or [self]


StageKind = Literal["translation", "normalization", "commentary", "summary", "other"]
# BCP 47's shape, as `xsd:language` has it: what XML, PAGE and Web Annotations all accept.
LANGUAGE_TAG = r"^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$"


def stage_kind(name: str, kind: StageKind | None) -> StageKind:
    """A stage without a kind is of the kind its name names, else `other`."""
    if kind is not None:
        return kind
    return cast(StageKind, name) if name in get_args(StageKind) else "other"


class Stage(Contract):
    name: str = Field(min_length=1)
    engine: str
    model: str | None = None
    prompt: str = Field(min_length=1)
    params: dict[str, Any] = Field(default_factory=dict)
    kind: StageKind | None = Field(
        default=None,
        description="what the output is, which exports say; default: the stage's name when "
        "it is a kind, else other",
    )
    language: str | None = Field(
        default=None,
        pattern=LANGUAGE_TAG,
        description="BCP 47 tag of the output's language, e.g. en for an English translation",
    )

    def output_kind(self) -> StageKind:
        return stage_kind(self.name, self.kind)


class Plan(Contract):
    primary: EngineStep = EngineStep(engine="tesseract")
    fallbacks: list[EngineStep] = Field(default_factory=list)
    stages: list[Stage] = Field(default_factory=list)
    profile: str | None = None
    exports: list[str] = Field(
        default_factory=lambda: ["alto", "page", "text", "annotations", "hocr"]
    )
