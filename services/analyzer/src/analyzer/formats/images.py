"""Image facts the analyzer needs without keeping a decoded image around."""

from __future__ import annotations

import io
from collections.abc import Sequence

from PIL import Image

from analyzer.domain.geometry import Size

# Tesseract trusts a resolution in this range and estimates one outside it (kMinCredible…).
CREDIBLE_PPI = (70.0, 2400.0)
EXIF_X_RESOLUTION = 0x011A


def image_size(data: bytes) -> Size:
    with Image.open(io.BytesIO(data)) as image:
        return Size(image.width, image.height)


def declared_resolution(data: bytes) -> float | None:
    """Pixels per inch the image's own tags declare (TIFF, JPEG JFIF/EXIF, PNG pHYs), if any.

    Pillow reports 72 dpi for a JPEG whose EXIF block has no resolution: its default, not the
    file's word (leptonica, which the tesseract CLI reads with, sees none), so it is dropped.
    """
    with Image.open(io.BytesIO(data)) as image:
        dpi = image.info.get("dpi")
        if image.format == "JPEG" and image.info.get("jfif_unit") not in (1, 2):
            dpi = dpi if EXIF_X_RESOLUTION in image.getexif() else None
    if not (isinstance(dpi, tuple) and len(dpi) == 2):
        return None
    try:
        vertical = float(dpi[1])
    except (TypeError, ValueError):
        return None
    return vertical if vertical > 0 else None


def credible(resolution: float | None) -> float | None:
    """The resolution when an engine can use it; None for the 1 dpi of aspect-only tags & co."""
    low, high = CREDIBLE_PPI
    return resolution if resolution is not None and low <= resolution <= high else None


def crop_regions(data: bytes, boxes: Sequence[tuple[int, int, int, int]]) -> list[bytes]:
    """Each box of the image cut out, losslessly (PNG), with the image's declared resolution.

    Boxes are clamped to the image; one that lies wholly outside it gives no crop."""
    resolution = declared_resolution(data)
    crops = []
    with Image.open(io.BytesIO(data)) as image:
        if image.mode not in ("1", "L", "LA", "RGB", "RGBA", "I;16"):
            image = image.convert("RGB")
        for left, top, right, bottom in boxes:
            box = (max(left, 0), max(top, 0), min(right, image.width), min(bottom, image.height))
            if box[0] >= box[2] or box[1] >= box[3]:
                continue
            out = io.BytesIO()
            extra = {"dpi": (resolution, resolution)} if resolution else {}
            image.crop(box).save(out, format="PNG", **extra)
            crops.append(out.getvalue())
    return crops
