"""Walking a IIIF collection's members, whatever version lists them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol, TypeVar

from contracts import Range
from ingest.domain.manifest import CollectionMember


class Member(Protocol):
    @property
    def id(self) -> str | None: ...
    @property
    def label(self) -> str | None: ...


M = TypeVar("M", bound=Member)


def flatten_members(
    collection: M, children: Callable[[M], Sequence[M]], is_collection: Callable[[M], bool]
) -> tuple[list[CollectionMember], list[Range]]:
    """Members to import (manifests, and sub-collections given only by reference), and the
    collection's nesting kept as structure."""
    members: list[CollectionMember] = []
    structure: list[Range] = []
    for item in children(collection):
        if not item.id:
            continue
        if is_collection(item) and children(item):
            nested, nested_structure = flatten_members(item, children, is_collection)
            members.extend(nested)
            structure.append(Range(id=item.id, label=item.label, ranges=nested_structure))
            continue
        kind = "collection" if is_collection(item) else "manifest"
        members.append(CollectionMember(item.id, kind, item.label))
        structure.append(Range(id=item.id, label=item.label))
    return members, structure
