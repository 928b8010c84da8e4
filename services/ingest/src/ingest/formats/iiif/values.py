"""Tolerant readers for the loose value shapes real IIIF servers emit.

Labels come as strings, `{"@value", "@language"}` objects, lists of either, or v3 language
maps keyed by a language, `none` or the pre-final `@none`; dimensions come as numbers or
strings. These validators turn all of them into plain values.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AliasChoices, BeforeValidator, ConfigDict, Field
from pydantic import BaseModel as _BaseModel

from contracts import SeeAlso

PREFERRED_LANGUAGES = ("en", "none", "@none")


class Lenient(_BaseModel):
    """Keep what we understand, ignore the rest: manifests carry many extensions."""

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


def language_text(value: Any) -> str | None:
    """Flatten any IIIF label/value shape into one string (values of one language joined)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list):
        tagged = [item for item in value if isinstance(item, dict) and "@language" in item]
        if tagged and len(tagged) == len(value):  # v2 language alternatives: choose one
            by_language: dict[str, list[Any]] = {}
            for item in tagged:
                by_language.setdefault(str(item["@language"]), []).append(item.get("@value"))
            return language_text(by_language)
        texts = [text for text in (language_text(item) for item in value) if text]
        return "; ".join(texts) if texts else None
    if isinstance(value, dict):
        if "@value" in value:
            return language_text(value["@value"])
        english = [key for key in value if str(key).lower().startswith("en-")]
        for language in ("en", *english, *PREFERRED_LANGUAGES, *value):
            if language in value and (text := language_text(value[language])):
                return text
    return None


def dimension(value: Any) -> int | None:
    """A pixel size from a number or a numeric string; zero or nonsense means unknown."""
    if isinstance(value, bool):
        return None
    try:
        number = int(float(value))
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def as_list(value: Any) -> list[Any]:
    """Wrap a single object (e.g. `sequences` given as an object) into a list."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def only_objects(value: Any) -> list[Any]:
    """A list of objects, dropping bare string references (e.g. auth service ids)."""
    return [item for item in as_list(value) if isinstance(item, dict)]


def see_also_links(value: Any) -> list[SeeAlso]:
    """`seeAlso` as bare URLs (v2), objects with `@id`/`id`, or a list of either."""
    links = []
    for item in as_list(value):
        if isinstance(item, str):
            links.append(SeeAlso(id=item))
        elif isinstance(item, dict) and isinstance(item.get("id", item.get("@id")), str):
            links.append(
                SeeAlso(
                    id=item.get("id", item.get("@id")),
                    type=_plain(item.get("type", item.get("@type"))),
                    format=_plain(item.get("format")),
                    profile=_plain(item.get("profile")),
                    label=language_text(item.get("label")),
                )
            )
    return links


def _plain(value: Any) -> str | None:
    return value if isinstance(value, str) else None


Text = Annotated[str | None, BeforeValidator(language_text)]
SeeAlsoLinks = Annotated[list[SeeAlso], BeforeValidator(see_also_links)]
Dimension = Annotated[int | None, BeforeValidator(dimension)]


def id_field() -> Any:
    return Field(default=None, validation_alias=AliasChoices("id", "@id"))


def type_field() -> Any:
    return Field(default=None, validation_alias=AliasChoices("type", "@type"))
