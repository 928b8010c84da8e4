"""The original image and its IIIF Image API service, as the source declared it.

The service keeps the version, id and profile ingest recorded: a viewer asks a level 2 server
for tiles it could not ask of a level 0 one, so the level is never rewritten. When the source
named no profile, level 0 is declared: every server promises that much and no more is known.
A thumbnail is only asked in a size the service promises; else it is the gateway's own.
"""

from __future__ import annotations

import re
from typing import Any

from exporter.domain.manuscript import ManuscriptPage
from exporter.domain.urls import GatewayUrls

_SERVICE_TYPES = {1: "ImageService1", 2: "ImageService2", 3: "ImageService3"}
_LEVEL0 = {
    1: "http://library.stanford.edu/iiif/image-api/1.1/compliance.html#level0",
    2: "http://iiif.io/api/image/2/level0.json",
    3: "level0",
}
# The size and quality path segments that mean "whole image" differ by Image API version.
_FULL = {1: "full/full/0/native.jpg", 2: "full/full/0/default.jpg", 3: "full/max/0/default.jpg"}
_QUALITY = {1: "native", 2: "default", 3: "default"}
_LEVEL = re.compile(r"level([012])\b")
THUMBNAIL_WIDTH = 200


def service_level(profile: str | None) -> int:
    """The compliance level a profile names (`level1`, `…/image/2/level2.json`, `…#level1`)."""
    match = _LEVEL.search(profile or "")
    return int(match[1]) if match else 0


def _profile(page: ManuscriptPage, version: int) -> str:
    return page.registered.image_service_profile or _LEVEL0[version]


def image_service(page: ManuscriptPage) -> dict[str, Any] | None:
    registered = page.registered
    version = registered.image_service_version
    if not registered.image_service or version not in _SERVICE_TYPES:
        return None
    service_id = registered.image_service.rstrip("/")
    if version == 3:
        return {"id": service_id, "type": "ImageService3", "profile": _profile(page, 3)}
    # Presentation 3 embeds older services with their JSON-LD keys, as the specification asks.
    return {"@id": service_id, "@type": _SERVICE_TYPES[version], "profile": _profile(page, version)}


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


def thumbnail(page: ManuscriptPage, urls: GatewayUrls) -> dict[str, Any] | None:
    """From a service of level 1 or more (every level 1 serves `w,`), else the gateway's."""
    service, registered = image_service(page), page.registered
    version = registered.image_service_version or 3
    if service is not None and service_level(_profile(page, version)) >= 1:
        base = (registered.image_service or "").rstrip("/")
        size = page.image_size() or page.canvas_size()
        thumb = _sized(base, version, size)
        thumb["service"] = [service]
        return thumb
    if page.thumbnail is not None:
        return {
            "id": urls.page_image(registered.page_id, "thumbnail"),
            "type": "Image",
            "format": page.thumbnail.media_type,
            "width": page.thumbnail.width,
            "height": page.thumbnail.height,
        }
    return None


def _sized(base: str, version: int, size: tuple[int, int] | None) -> dict[str, Any]:
    thumb: dict[str, Any] = {"type": "Image", "format": "image/jpeg"}
    if size is not None and size[0] < THUMBNAIL_WIDTH and version == 3:
        # Version 3 never upscales unasked: a narrow image is its own thumbnail.
        thumb["id"] = f"{base}/{_FULL[3]}"
        thumb["width"], thumb["height"] = size
        return thumb
    thumb["id"] = f"{base}/full/{THUMBNAIL_WIDTH},/0/{_QUALITY[version]}.jpg"
    if size is not None:
        thumb["width"] = THUMBNAIL_WIDTH
        thumb["height"] = round(size[1] * THUMBNAIL_WIDTH / size[0])
    return thumb
