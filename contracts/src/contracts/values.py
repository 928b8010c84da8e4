"""Value objects shared by several aggregates."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from contracts.base import Contract

Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


class ArtifactRef(Contract):
    """A content-addressed blob in the artifact store; events carry these, never the bytes."""

    sha256: Sha256
    media_type: str
    bytes: int = Field(ge=0)


class ImageRef(ArtifactRef):
    width: int = Field(gt=0)
    height: int = Field(gt=0)


class LanguageValue(Contract):
    """One value of a IIIF language map, e.g. `{"en": ["Book of Hours"]}` flattened."""

    language: str | None = None
    value: str


class MetadataEntry(Contract):
    label: str
    value: str
