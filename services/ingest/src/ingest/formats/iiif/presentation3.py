"""IIIF Presentation 3.0 manifests and collections."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any

from pydantic import BeforeValidator, Field

from contracts import MetadataEntry, Range
from ingest.domain.manifest import Canvas, CanvasImage, Collection, CollectionMember, Manifest
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


class Body(Lenient):
    id: str | None = id_field()
    type: str | None = type_field()
    format: str | None = None
    label: Text = None
    width: Dimension = None
    height: Dimension = None
    service: Annotated[list[ServiceReference], Objects] = Field(default_factory=list)
    items: Annotated[list[Body], Objects] = Field(default_factory=list)
    source: Body | str | None = None

    def resolved(self) -> Body:
        """Look through a SpecificResource to the resource it selects from."""
        if self.type == "SpecificResource" and isinstance(self.source, Body):
            return self.source.resolved()
        return self

    def is_image(self) -> bool:
        body = self.resolved()
        return body.type == "Image" or (body.format or "").startswith("image/")

    def to_domain(self) -> CanvasImage:
        body = self.resolved()
        service = first_image_service(body.service)
        return CanvasImage(body.id, body.width, body.height, body.format, service)


class Annotation(Lenient):
    motivation: Annotated[list[str], BeforeValidator(as_list)] = Field(default_factory=list)
    body: Annotated[list[Body], Objects] = Field(default_factory=list)
    target: Any = None

    def covers_whole_canvas(self) -> bool:
        target = self.target if isinstance(self.target, str) else ""
        return "#xywh=" not in target


class AnnotationPage(Lenient):
    items: Annotated[list[Annotation], Objects] = Field(default_factory=list)


class CanvasModel(Lenient):
    id: str | None = id_field()
    label: Text = None
    width: Dimension = None
    height: Dimension = None
    service: Any = None
    items: Annotated[list[AnnotationPage], Objects] = Field(default_factory=list)

    def ppi(self) -> float | None:
        """Pixels per inch of the canvas's coordinates, when a physdim service says."""
        return physical_ppi(self.service)

    def to_domain(self, index: int) -> Canvas:
        canvas_id = self.id or f"#canvas-{index}"
        painting = [
            annotation
            for page in self.items
            for annotation in page.items
            if "painting" in annotation.motivation
        ]
        candidates: list[tuple[Annotation, Body]] = []
        alternatives: list[str] = []
        non_images: set[str] = set()
        for annotation in painting:
            for body in annotation.body:
                items = body.items if body.type == "Choice" else [body]
                images = [item for item in items if item.is_image()]
                # A Choice's first image is its default; the others are kept as alternatives.
                candidates.extend((annotation, image) for image in images[:1])
                alternatives.extend(item.label or item.id or "?" for item in images[1:])
                non_images.update(
                    str(item.resolved().type) for item in items if not item.is_image()
                )
        if not candidates:
            reason = (
                f"non-image canvas ({', '.join(sorted(non_images))})"
                if non_images
                else "no painting annotation"
            )
            return Canvas(canvas_id, self.label, self.width, self.height, None, reason)
        # Composite canvases paint parts on top of a base image: the base covers the canvas.
        whole = [c for c in candidates if c[0].covers_whole_canvas()] or candidates
        chosen = whole[0][1]
        alternatives.extend(b.label or b.id or "?" for _, b in candidates if b is not chosen)
        image = replace(chosen.to_domain(), alternatives=tuple(alternatives))
        return Canvas(canvas_id, self.label, self.width, self.height, image, ppi=self.ppi())


class MetadataPair(Lenient):
    label: Text = None
    value: Text = None


class Agent(Lenient):
    label: Text = None


class RangeModel(Lenient):
    id: str | None = id_field()
    type: str | None = type_field()
    label: Text = None
    items: Annotated[list[dict[str, Any]], Objects] = Field(default_factory=list)
    source: Any = None

    def to_domain(self) -> Range:
        canvases: list[str] = []
        nested: list[Range] = []
        for item in self.items:
            kind = item.get("type")
            if kind == "Range":
                nested.append(RangeModel.model_validate(item).to_domain())
            elif kind == "Canvas" and isinstance(item.get("id"), str):
                canvases.append(item["id"].split("#", 1)[0])
            elif kind == "SpecificResource":
                source = item.get("source")
                source_id = source.get("id") if isinstance(source, dict) else source
                if isinstance(source_id, str):
                    canvases.append(source_id.split("#", 1)[0])
        return Range(id=self.id or "", label=self.label, canvases=canvases, ranges=nested)


class ManifestModel(Lenient):
    id: str | None = id_field()
    context: Any = Field(default=None, alias="@context")
    label: Text = None
    metadata: Annotated[list[MetadataPair], Objects] = Field(default_factory=list)
    rights: str | None = None
    required_statement: MetadataPair | None = Field(default=None, alias="requiredStatement")
    provider: Annotated[list[Agent], Objects] = Field(default_factory=list)
    see_also: SeeAlsoLinks = Field(default_factory=list, alias="seeAlso")
    viewing_direction: str | None = Field(default=None, alias="viewingDirection")
    items: Annotated[list[CanvasModel], Objects] = Field(default_factory=list)
    structures: Annotated[list[RangeModel], Objects] = Field(default_factory=list)

    def to_domain(self) -> Manifest:
        statement = self.required_statement
        providers = [agent.label for agent in self.provider if agent.label]
        return Manifest(
            id=self.id or "",
            iiif_version=3,
            label=self.label,
            canvases=tuple(canvas.to_domain(index) for index, canvas in enumerate(self.items)),
            viewing_direction=self.viewing_direction,
            metadata=tuple(
                MetadataEntry(label=m.label, value=m.value or "") for m in self.metadata if m.label
            ),
            rights=self.rights,
            required_statement=(
                MetadataEntry(label=statement.label or "", value=statement.value or "")
                if statement and statement.value
                else None
            ),
            provider="; ".join(providers) or None,
            see_also=tuple(self.see_also),
            structure=tuple(r.to_domain() for r in self.structures),
            notes=() if self.context else ("no @context",),
        )


class MemberModel(Lenient):
    id: str | None = id_field()
    type: str | None = type_field()
    label: Text = None
    items: Annotated[list[MemberModel], Objects] = Field(default_factory=list)


class CollectionModel(MemberModel):
    metadata: Annotated[list[MetadataPair], Objects] = Field(default_factory=list)

    def to_domain(self) -> Collection:
        members, structure = _flatten(self)
        return Collection(
            id=self.id or "",
            iiif_version=3,
            label=self.label,
            members=tuple(members),
            structure=tuple(structure),
            metadata=tuple(
                MetadataEntry(label=m.label, value=m.value or "") for m in self.metadata if m.label
            ),
        )


def _flatten(collection: MemberModel) -> tuple[list[CollectionMember], list[Range]]:
    return flatten_members(
        collection, lambda item: item.items, lambda item: item.type == "Collection"
    )
