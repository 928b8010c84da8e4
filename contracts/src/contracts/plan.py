"""What a job runs on each page: a primary engine, fallbacks with conditions, further stages."""

from __future__ import annotations

from typing import Any

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


class Stage(Contract):
    name: str = Field(min_length=1)
    engine: str
    model: str | None = None
    prompt: str = Field(min_length=1)
    params: dict[str, Any] = Field(default_factory=dict)


class Plan(Contract):
    primary: EngineStep = EngineStep(engine="tesseract")
    fallbacks: list[EngineStep] = Field(default_factory=list)
    stages: list[Stage] = Field(default_factory=list)
    profile: str | None = None
    exports: list[str] = Field(
        default_factory=lambda: ["alto", "page", "text", "annotations", "hocr"]
    )
