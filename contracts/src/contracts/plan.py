"""What a job runs on each page: a primary engine, fallbacks with conditions, further stages."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from contracts.base import Contract


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
