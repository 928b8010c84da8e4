"""Reading an Image API 1.1, 2.x or 3.0 `info.json` into the facts a request needs."""

from __future__ import annotations

import json
import re
from typing import Any

from contracts.errors import ImageServiceInvalid
from ingest.domain.image_request import ImageInfo
from ingest.formats.iiif.physical_dimensions import physical_ppi
from ingest.formats.iiif.services import image_api_version

LEVEL = re.compile(r"level([012])")


def parse_image_info(raw: bytes | str | dict[str, Any], fallback_version: int = 2) -> ImageInfo:
    document = _decode(raw) if isinstance(raw, bytes | str) else raw
    if not isinstance(document, dict):
        raise ImageServiceInvalid("info.json is not a JSON object")
    service_id = document.get("id") or document.get("@id")
    if not isinstance(service_id, str) or not service_id:
        raise ImageServiceInvalid("info.json has no id/@id")
    width, height = _positive(document, "width"), _positive(document, "height")
    profiles = document.get("profile")
    profile_list = profiles if isinstance(profiles, list) else [profiles]
    limits: dict[str, Any] = dict(document)
    for entry in profile_list:
        if isinstance(entry, dict):  # v2 keeps maxWidth & co. inside the profile object
            limits = {**entry, **{k: v for k, v in document.items() if k.startswith("max")}}
    version = image_api_version(document.get("@context"), document.get("type"), profiles)
    return ImageInfo(
        id=service_id,
        version=version or fallback_version,
        width=width,
        height=height,
        level=_level(profile_list),
        sizes=_sizes(document.get("sizes")),
        max_width=_optional_positive(limits, "maxWidth"),
        max_height=_optional_positive(limits, "maxHeight"),
        max_area=_optional_positive(limits, "maxArea"),
        ppi=physical_ppi(document.get("service")),
    )


def _decode(raw: bytes | str) -> Any:
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as error:
        raise ImageServiceInvalid(f"info.json is not JSON: {error}") from None


def _level(profiles: list[Any]) -> int | None:
    for profile in profiles:
        if isinstance(profile, str) and (match := LEVEL.search(profile)):
            return int(match.group(1))
    return None


def _sizes(value: Any) -> tuple[tuple[int, int], ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ImageServiceInvalid(f"info.json sizes must be a list, got {type(value).__name__}")
    sizes = []
    for entry in value:
        if not isinstance(entry, dict):
            raise ImageServiceInvalid(f"info.json sizes entry is not an object: {entry!r}")
        sizes.append((_positive(entry, "width"), _positive(entry, "height")))
    return tuple(sizes)


def _positive(document: dict[str, Any], key: str) -> int:
    value = document.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ImageServiceInvalid(f"info.json {key} must be a positive integer, got {value!r}")
    return value


def _optional_positive(document: dict[str, Any], key: str) -> int | None:
    return _positive(document, key) if document.get(key) is not None else None
