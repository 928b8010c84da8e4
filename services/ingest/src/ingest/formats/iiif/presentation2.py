"""IIIF Presentation 2.x (and older shared-canvas) manifests and collections."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any

from pydantic import BeforeValidator, Field

from contracts import MetadataEntry, Range
from ingest.domain.manifest import (
    Canvas,
    CanvasImage,
    Collection,
    CollectionMember,
    Manifest,
)
from ingest.formats.iiif.collections import flatten_members
from ingest.formats.iiif.physical_dimensions import physical_ppi
from ingest.formats.iiif.services import ServiceReference, first_image_service
from ingest.formats.iiif.values import (
    Dimension,
    Lenient,
    SeeAlsoLinks,
    Text,
    as_list,
    id_field,
    only_objects,
    type_field,
)

Objects = BeforeValidator(only_objects)
PLACEHOLDER_HINT = "displayIfContentUnsupported"


class Resource(Lenient):
    id: str | None = id_field()
    type: str | None = type_field()
    format: str | None = None
    label: Text = None
    width: Dimension = None
    height: Dimension = None
    service: Annotated[list[ServiceReference], Objects] = Field(default_factory=list)
    default: Resource | None = None
    item: Annotated[list[Resource], Objects] = Field(default_factory=list)

    def to_domain(self) -> CanvasImage:
        if self.default is not None:  # oa:Choice: paint the default, remember the others
            chosen = self.default.to_domain()
            others = tuple(item.label or item.id or "?" for item in self.item)
            return replace(chosen, alternatives=others)
        service = first_image_service(self.service)
        return CanvasImage(self.id, self.width, self.height, self.format, service)


class ImageAnnotation(Lenient):
    motivation: str | None = None
    resource: Resource | None = None


class CanvasModel(Lenient):
    id: str | None = id_field()
    label: Text = None
    width: Dimension = None
    height: Dimension = None
    service: Any = None
    images: Annotated[list[ImageAnnotation], Objects] = Field(default_factory=list)

    def ppi(self) -> float | None:
        """Pixels per inch of the canvas's coordinates, when a physdim service says."""
        return physical_ppi(self.service)

    def to_domain(self, index: int) -> Canvas:
        canvas_id = self.id or f"#canvas-{index}"
        painted = [a.resource for a in self.images if a.resource is not None]
        if not painted:
            return Canvas(canvas_id, self.label, self.width, self.height, None, "no image")
        kind = (painted[0].type or "").lower()
        if painted[0].default is None and kind and "image" not in kind:
            reason = f"non-image canvas ({painted[0].type})"
            return Canvas(canvas_id, self.label, self.width, self.height, None, reason)
        image = painted[0].to_domain()
        return Canvas(canvas_id, self.label, self.width, self.height, image, ppi=self.ppi())


class Sequence(Lenient):
    viewing_direction: str | None = Field(default=None, alias="viewingDirection")
    compatibility_hint: str | None = Field(default=None, alias="compatibilityHint")
    canvases: Annotated[list[CanvasModel], Objects] = Field(default_factory=list)


class MetadataPair(Lenient):
    label: Text = None
    value: Text = None


class RangeModel(Lenient):
    id: str | None = id_field()
    label: Text = None
    viewing_hint: str | None = Field(default=None, alias="viewingHint")
    canvases: list[str] = Field(default_factory=list)
    ranges: list[str] = Field(default_factory=list)
    members: Annotated[list[dict[str, Any]], Objects] = Field(default_factory=list)


class ManifestModel(Lenient):
    id: str | None = id_field()
    context: Any = Field(default=None, alias="@context")
    label: Text = None
    metadata: Annotated[list[MetadataPair], Objects] = Field(default_factory=list)
    license: Text = None
    attribution: Text = None
    see_also: SeeAlsoLinks = Field(default_factory=list, alias="seeAlso")
    viewing_direction: str | None = Field(default=None, alias="viewingDirection")
    sequences: Annotated[list[Sequence], BeforeValidator(as_list)] = Field(default_factory=list)
    structures: Annotated[list[RangeModel], Objects] = Field(default_factory=list)

    def to_domain(self) -> Manifest:
        notes = [] if self.context else ["no @context"]
        if len(self.sequences) > 1:
            notes.append(f"{len(self.sequences)} sequences: the first is used, the others ignored")
        canvases = self.sequences[0].canvases if self.sequences else []
        parsed = tuple(canvas.to_domain(index) for index, canvas in enumerate(canvases))
        if self.sequences and self.sequences[0].compatibility_hint == PLACEHOLDER_HINT:
            # Wellcome's ixif wrapper: the real content (audio, video) is in mediaSequences.
            reason = "placeholder for content in mediaSequences (not IIIF images)"
            parsed = tuple(replace(c, image=None, skip_reason=reason) for c in parsed)
        direction = self.viewing_direction
        if direction is None and self.sequences:
            direction = self.sequences[0].viewing_direction
        return Manifest(
            id=self.id or "",
            iiif_version=2,
            label=self.label,
            canvases=parsed,
            viewing_direction=direction,
            metadata=tuple(
                MetadataEntry(label=m.label, value=m.value or "") for m in self.metadata if m.label
            ),
            rights=self.license,
            required_statement=(
                MetadataEntry(label="Attribution", value=self.attribution)
                if self.attribution
                else None
            ),
            see_also=tuple(self.see_also),
            structure=tuple(range_tree(self.structures)),
            notes=tuple(notes),
        )


def range_tree(ranges: list[RangeModel]) -> list[Range]:
    """Nest v2's flat list of ranges; tops are those marked `top` or nobody's child."""
    by_id = {r.id: r for r in ranges if r.id}
    children = {child for r in ranges for child in _child_ranges(r)}
    tops = [r for r in ranges if r.viewing_hint == "top" or r.id not in children]

    def build(model: RangeModel, seen: frozenset[str]) -> Range:
        seen = seen | {model.id or ""}
        canvases = list(model.canvases) + [
            m["@id"] for m in model.members if "Canvas" in str(m.get("@type")) and "@id" in m
        ]
        nested = [
            build(by_id[child], seen)
            for child in _child_ranges(model)
            if child in by_id and child not in seen
        ]
        return Range(id=model.id or "", label=model.label, canvases=canvases, ranges=nested)

    return [build(top, frozenset()) for top in tops]


def _child_ranges(model: RangeModel) -> list[str]:
    members = [m["@id"] for m in model.members if "Range" in str(m.get("@type")) and "@id" in m]
    return [*model.ranges, *members]


class MemberModel(Lenient):
    id: str | None = id_field()
    type: str | None = type_field()
    label: Text = None
    manifests: Annotated[list[MemberModel], Objects] = Field(default_factory=list)
    collections: Annotated[list[MemberModel], Objects] = Field(default_factory=list)
    members: Annotated[list[MemberModel], Objects] = Field(default_factory=list)


class CollectionModel(MemberModel):
    context: Any = Field(default=None, alias="@context")
    metadata: Annotated[list[MetadataPair], Objects] = Field(default_factory=list)

    def to_domain(self) -> Collection:
        members, structure = _flatten(self)
        return Collection(
            id=self.id or "",
            iiif_version=2,
            label=self.label,
            members=tuple(members),
            structure=tuple(structure),
            metadata=tuple(
                MetadataEntry(label=m.label, value=m.value or "") for m in self.metadata if m.label
            ),
        )


def _flatten(collection: MemberModel) -> tuple[list[CollectionMember], list[Range]]:
    return flatten_members(
        collection,
        lambda item: [*item.manifests, *item.collections, *item.members],
        lambda item: "Collection" in (item.type or ""),
    )
