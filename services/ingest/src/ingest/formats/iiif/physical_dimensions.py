"""The IIIF Physical Dimensions service (`physdim`): how large a pixel is in the world.

`physicalScale` times a size in pixels (of the canvas or image it is attached to) gives the
size in `physicalUnits`; its inverse is a resolution. It may sit in an image's `info.json`
or on a canvas, in any service shape (a list, one object, v2 `@context`/`profile` or a v3
`type`).
"""

from __future__ import annotations

from typing import Any

from ingest.formats.iiif.values import as_list, language_text

PROFILE = "physdim"
INCHES_PER_UNIT = {"in": 1.0, "inch": 1.0, "inches": 1.0, "cm": 1 / 2.54, "mm": 1 / 25.4}


def physical_ppi(services: Any) -> float | None:
    """Pixels per inch from the first physdim service among `services`, if one is usable."""
    for service in as_list(services):
        if not isinstance(service, dict) or not _is_physdim(service):
            continue
        scale, units = service.get("physicalScale"), service.get("physicalUnits")
        inches = INCHES_PER_UNIT.get(str(units).strip().lower())
        if isinstance(scale, bool) or not isinstance(scale, int | float) or inches is None:
            continue
        if scale > 0:
            return 1.0 / (scale * inches)
    return None


def _is_physdim(service: dict[str, Any]) -> bool:
    hints = (service.get(key) for key in ("profile", "@context", "type", "@type"))
    text = " ".join(language_text(hint) or "" for hint in hints)
    return PROFILE in text or "PhysicalDimensions" in text
