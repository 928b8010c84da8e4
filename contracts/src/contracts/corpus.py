"""The corpus aggregate: a named collection of manuscripts sharing a profile."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from pydantic import Field

from contracts.base import Command, Event
from contracts.upcasting import upcaster

Slug = str


class CreateCorpus(Command):
    slug: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")
    title: str = Field(min_length=1, max_length=500)
    profile: str = "default"


class CorpusCreated(Event):
    type = "corpus.created"
    schema_version = 2

    corpus_id: UUID
    slug: str
    title: str
    profile: str


@upcaster("corpus.created", 1)
def upcast_corpus_created_v1_v2(data: dict[str, Any]) -> dict[str, Any]:
    """Version 1 had no profile: corpora then all used the default one."""
    return {**data, "profile": "default"}
