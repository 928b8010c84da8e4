"""Image API service references inside manifests, whichever version and shape."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from ingest.domain.manifest import ImageService
from ingest.formats.iiif.values import Lenient, id_field, language_text, type_field


class ServiceReference(Lenient):
    id: str | None = id_field()
    type: str | None = type_field()
    context: Any = Field(default=None, alias="@context")
    profile: Any = None
    conforms_to: str | None = Field(default=None, alias="dcterms:conformsTo")

    def to_domain(self) -> ImageService | None:
        version = image_api_version(self.context, self.type, self.profile, self.conforms_to)
        if not self.id or version is None:
            return None
        profile = self.profile[0] if isinstance(self.profile, list) and self.profile else None
        profile = profile if isinstance(profile, str) else self.profile
        return ImageService(self.id, version, profile if isinstance(profile, str) else None)


def image_api_version(*hints: Any) -> int | None:
    """The Image API version named by a context, type, profile or conformance URI."""
    text = " ".join(language_text(hint) or "" for hint in hints)
    if "ImageService3" in text or "/image/3" in text:
        return 3
    if "ImageService2" in text or "/image/2" in text:
        return 2
    if "ImageService1" in text or "image-api/1" in text or "/image/1" in text:
        return 1
    return None


def first_image_service(services: list[ServiceReference]) -> ImageService | None:
    """The newest Image API version on offer: a body may list a v2 and a v3 service."""
    found = [s for s in (ref.to_domain() for ref in services) if s is not None]
    return max(found, key=lambda service: service.version) if found else None
