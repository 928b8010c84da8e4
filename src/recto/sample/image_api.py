"""IIIF Image API 3 requests at compliance level 1, answered with Pillow, for the sample server.

Level 1 asks for regions `full`, `x,y,w,h` and `square`, sizes `max`, `w,` and `,h`, rotation
`0` and quality `default` in JPEG. Beyond it, this also answers `pct:` regions, `pct:n`, `w,h`
and `!w,h` sizes and `^` upscaling, which the `info.json` lists in `extraFeatures`.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

from PIL import Image

EXTRA_FEATURES = ["regionByPct", "sizeByPct", "sizeByWh", "sizeByConfinedWh", "sizeUpscaling"]
TILE_SIZE = 512

_NUMBER = r"\d+(?:\.\d+)?"
_PIXELS = re.compile(r"^(\d+),(\d+),(\d+),(\d+)$")
_PERCENT = re.compile(rf"^pct:({_NUMBER}),({_NUMBER}),({_NUMBER}),({_NUMBER})$")
_SIZE = re.compile(r"^(\d*),(\d*)$")


class BadImageRequest(ValueError):
    """The request is malformed or asks for nothing (HTTP 400)."""


class UnsupportedImageRequest(ValueError):
    """The request is valid Image API syntax this server does not implement (HTTP 501)."""


@dataclass(frozen=True)
class Region:
    x: int
    y: int
    width: int
    height: int


def region(spec: str, width: int, height: int) -> Region:
    """The pixels a region names, clipped to the image; nothing left of it is an error."""
    if spec == "full":
        return Region(0, 0, width, height)
    if spec == "square":
        side = min(width, height)
        return Region((width - side) // 2, (height - side) // 2, side, side)
    if match := _PIXELS.match(spec):
        x, y, w, h = (int(value) for value in match.groups())
    elif match := _PERCENT.match(spec):
        px, py, pw, ph = (float(value) for value in match.groups())
        x, y = round(px * width / 100), round(py * height / 100)
        w, h = round(pw * width / 100), round(ph * height / 100)
    else:
        raise BadImageRequest(f"region {spec!r} is not full, square, x,y,w,h or pct:x,y,w,h")
    if w <= 0 or h <= 0 or x >= width or y >= height:
        raise BadImageRequest(f"region {spec!r} holds no pixel of a {width}×{height} image")
    return Region(x, y, min(w, width - x), min(h, height - y))


def size(spec: str, width: int, height: int) -> tuple[int, int]:
    """The output size for a region of width×height; larger than the region only with `^`."""
    upscale = spec.startswith("^")
    body = spec.removeprefix("^")
    if body == "max":
        w, h = width, height
    elif body.startswith("pct:"):
        try:
            percent = float(body.removeprefix("pct:"))
        except ValueError:
            raise BadImageRequest(f"size {spec!r}: pct:n needs a number") from None
        w, h = round(width * percent / 100), round(height * percent / 100)
    elif body.startswith("!"):
        match = _SIZE.match(body.removeprefix("!"))
        if not match or not all(match.groups()):
            raise BadImageRequest(f"size {spec!r}: !w,h needs both a width and a height")
        scale = min(int(match[1]) / width, int(match[2]) / height)
        scale = scale if upscale else min(scale, 1.0)
        w, h = round(width * scale), round(height * scale)
    elif match := _SIZE.match(body):
        w_text, h_text = match.groups()
        if not (w_text or h_text):
            raise BadImageRequest(f"size {spec!r} names neither a width nor a height")
        w = int(w_text) if w_text else round(width * int(h_text) / height)
        h = int(h_text) if h_text else round(height * int(w_text) / width)
    else:
        raise BadImageRequest(f"size {spec!r} is not max, w,, ,h, w,h, !w,h or pct:n")
    if w <= 0 or h <= 0:
        raise BadImageRequest(f"size {spec!r} leaves no pixel")
    if not upscale and (w > width or h > height):
        raise BadImageRequest(f"size {spec!r} is larger than the region: prefix it with ^")
    return w, h


def render(data: bytes, region_spec: str, size_spec: str, rotation: str, quality: str) -> bytes:
    """A JPEG of the requested region at the requested size."""
    if rotation not in ("0", "0.0"):
        raise UnsupportedImageRequest(f"rotation {rotation!r}: only 0 is supported")
    if quality != "default":
        raise UnsupportedImageRequest(f"quality {quality!r}: only default is supported")
    with Image.open(io.BytesIO(data)) as opened:
        box = region(region_spec, opened.width, opened.height)
        wanted = size(size_spec, box.width, box.height)
        cropped = opened.convert("RGB").crop((box.x, box.y, box.x + box.width, box.y + box.height))
    if cropped.size != wanted:
        cropped = cropped.resize(wanted, Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    cropped.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def scale_factors(width: int, height: int) -> list[int]:
    """Powers of two down to one tile for the whole image, as tiled viewers expect."""
    factors = [1]
    while max(width, height) / factors[-1] > TILE_SIZE:
        factors.append(factors[-1] * 2)
    return factors
