"""Corpus profiles: what a kind of material needs (languages, script, engines, prompts)."""

from __future__ import annotations

import tomllib
from importlib import resources
from typing import Literal

from pydantic import Field

from contracts import EngineStep, Plan, Stage
from contracts.base import Contract
from contracts.errors import ContractError

Script = Literal["print", "fraktur", "manuscript", "handwritten"]


class CorpusProfile(Contract):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    description: str = ""
    languages: list[str] = Field(min_length=1)
    script: Script = "print"
    primary: EngineStep = EngineStep(engine="tesseract")
    fallbacks: list[EngineStep] = Field(default_factory=list)
    stages: list[Stage] = Field(default_factory=list)
    prompt: str = Field(default="transcribe-page", description="default VLM prompt template")
    vlm_model: str | None = None
    thresholds: dict[str, float] = Field(default_factory=dict)

    def plan(self) -> Plan:
        """The plan a page of this corpus gets when its job names none."""
        return Plan(
            primary=self.primary, fallbacks=self.fallbacks, stages=self.stages, profile=self.name
        )


def load_profiles() -> dict[str, CorpusProfile]:
    """Every profile shipped in `analyzer/profiles/*.toml`, by name."""
    profiles = {}
    for entry in resources.files("analyzer").joinpath("profiles").iterdir():
        if entry.name.endswith(".toml"):
            profile = CorpusProfile.model_validate(tomllib.loads(entry.read_text("utf-8")))
            if f"{profile.name}.toml" != entry.name:
                raise ContractError(f"profile file {entry.name} names profile {profile.name!r}")
            profiles[profile.name] = profile
    return profiles


def load_profile(name: str) -> CorpusProfile:
    profiles = load_profiles()
    if name not in profiles:
        raise ContractError(f"unknown corpus profile {name!r}; known: {sorted(profiles)}")
    return profiles[name]
