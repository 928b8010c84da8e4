"""Choosing what to ask a IIIF Image API service for: the largest size the analysis needs.

The request never exceeds the service's `maxWidth`/`maxHeight`/`maxArea`, never upscales, and
keeps the aspect ratio within one pixel of rounding. A level 0 service can only serve the sizes
it lists (or the full image), so its choice is made among those.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class ImageInfo:
    """The parts of an `info.json` that decide a request; width/height are the master's."""

    id: str
    version: int
    width: int
    height: int
    level: int | None = None
    sizes: tuple[tuple[int, int], ...] = ()
    max_width: int | None = None
    max_height: int | None = None
    max_area: int | None = None
    ppi: float | None = None  # pixels per inch at width×height, from a physdim service


@dataclass(frozen=True)
class ImageRequest:
    url: str
    width: int
    height: int


def fit(
    width: int,
    height: int,
    long_side: int,
    max_width: int | None = None,
    max_height: int | None = None,
    max_area: int | None = None,
) -> tuple[int, int]:
    """The largest size within every limit, scaled from width×height; never an upscale."""
    scale = min(1.0, long_side / max(width, height))
    if max_width:
        scale = min(scale, max_width / width)
    if max_height:
        scale = min(scale, max_height / height)
    if max_area:
        scale = min(scale, math.sqrt(max_area / (width * height)))
    if scale >= 1.0:
        return width, height
    w, h = max(1, math.floor(width * scale)), max(1, math.floor(height * scale))
    # Floating point may leave the area a hair above the limit: step down until it is not.
    while max_area and w * h > max_area and min(w, h) > 1:
        scale *= 0.999
        w, h = max(1, math.floor(width * scale)), max(1, math.floor(height * scale))
    return w, h


def choose_request(info: ImageInfo, long_side: int) -> ImageRequest:
    if info.level == 0:
        width, height = _listed_size(info, long_side)
    else:
        width, height = fit(
            info.width, info.height, long_side, info.max_width, info.max_height, info.max_area
        )
    return ImageRequest(url=_url(info, width, height), width=width, height=height)


def _listed_size(info: ImageInfo, long_side: int) -> tuple[int, int]:
    """Smallest listed size reaching `long_side`, else the largest listed, else the full image."""
    if not info.sizes:
        return info.width, info.height
    by_long_side = sorted(info.sizes, key=lambda size: max(size))
    for size in by_long_side:
        if max(size) >= long_side:
            return size
    return by_long_side[-1]


def _url(info: ImageInfo, width: int, height: int) -> str:
    base = info.id.rstrip("/")
    is_full = (width, height) == (info.width, info.height)
    if info.version >= 3:
        size = "max" if is_full and not _limited(info) else f"{width},{height}"
        return f"{base}/full/{size}/0/default.jpg"
    size = "full" if is_full else f"{width},"
    quality = "native" if info.version == 1 else "default"
    return f"{base}/full/{size}/0/{quality}.jpg"


def _limited(info: ImageInfo) -> bool:
    return any((info.max_width, info.max_height, info.max_area))
