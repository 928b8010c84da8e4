"""The original image and its IIIF Image API service, at the version the source declared."""

from __future__ import annotations

from typing import Any

from exporter.domain.manuscript import ManuscriptPage

_SERVICE_TYPES = {1: "ImageService1", 2: "ImageService2", 3: "ImageService3"}
_LEVEL0 = {
    1: "http://library.stanford.edu/iiif/image-api/1.1/compliance.html#level0",
    2: "http://iiif.io/api/image/2/level0.json",
    3: "level0",
}
# The size and quality path segments that mean "whole image" differ by Image API version.
_FULL = {1: "full/full/0/native.jpg", 2: "full/full/0/default.jpg", 3: "full/max/0/default.jpg"}
_THUMB = {1: "full/!200,200/0/native.jpg", 2: "full/!200,200/0/default.jpg"}


def image_service(page: ManuscriptPage) -> dict[str, Any] | None:
    registered = page.registered
    version = registered.image_service_version
    if not registered.image_service or version not in _SERVICE_TYPES:
        return None
    service_id = registered.image_service.rstrip("/")
    if version == 3:
        return {"id": service_id, "type": "ImageService3", "profile": _LEVEL0[3]}
    # Presentation 3 embeds older services with their JSON-LD keys, as the specification asks.
    return {"@id": service_id, "@type": _SERVICE_TYPES[version], "profile": _LEVEL0[version]}


def image_body(page: ManuscriptPage) -> dict[str, Any] | None:
    service, registered = image_service(page), page.registered
    version = registered.image_service_version or 3
    if registered.image_url:
        url = registered.image_url
    elif service is not None and registered.image_service:
        url = f"{registered.image_service.rstrip('/')}/{_FULL[version]}"
    else:
        return None
    body: dict[str, Any] = {"id": url, "type": "Image", "format": "image/jpeg"}
    if (size := page.image_size() or page.canvas_size()) is not None:
        body["width"], body["height"] = size
    if service is not None:
        body["service"] = [service]
    return body


def thumbnail(page: ManuscriptPage) -> dict[str, Any] | None:
    service, registered = image_service(page), page.registered
    if service is None or not registered.image_service:
        return None
    version = registered.image_service_version or 3
    path = _THUMB.get(version, "full/!200,200/0/default.jpg")
    return {
        "id": f"{registered.image_service.rstrip('/')}/{path}",
        "type": "Image",
        "format": "image/jpeg",
        "service": [service],
    }
