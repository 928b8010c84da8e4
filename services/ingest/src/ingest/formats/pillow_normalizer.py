"""Turning fetched image bytes into the derivative the analyzer reads and a thumbnail.

Blocking and CPU-heavy: callers run it in a worker thread.
"""

from __future__ import annotations

import io
import math
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from contracts.errors import ImageRejected
from ingest.domain.image_sniffing import describe_non_image, sniff_image_type

ROTATING_ORIENTATIONS = frozenset({5, 6, 7, 8})
EXIF_ORIENTATION = 0x0112
EXIF_X_RESOLUTION = 0x011A
# Formats every consumer of a derivative reads (leptonica, browsers, VLM APIs): a source in one
# of them that needs no change is the derivative itself, byte for byte.
SERVABLE_AS_IS = frozenset({"image/jpeg", "image/png"})
# Sources already lossy get a JPEG derivative; any other gets PNG, never a first lossy generation.
LOSSY_SOURCES = frozenset({"image/jpeg", "image/webp"})


@dataclass(frozen=True)
class EncodedImage:
    data: bytes
    media_type: str
    width: int
    height: int


@dataclass(frozen=True)
class NormalizedImage:
    source_media_type: str
    width: int  # the source's own size, after EXIF orientation
    height: int
    derivative: EncodedImage
    thumbnail: EncodedImage
    resolution: float | None = None  # the derivative's pixels per inch, when declared


def normalize_image(
    data: bytes,
    *,
    long_side: int = 5000,
    thumbnail_size: int = 256,
    max_pixels: int = 150_000_000,
    declared: tuple[float, int] | None = None,
) -> NormalizedImage:
    """`declared`: a resolution declared beside the image (a IIIF physdim service), as pixels
    per inch at a width (the full image's, the canvas's); it wins over the image's own tags,
    and the derivative's resolution is scaled from it."""
    media_type = sniff_image_type(data[:32])
    if media_type is None:
        raise ImageRejected(f"not an image: the body is {describe_non_image(data[:64])}")
    image = _open(data, max_pixels)
    source_mode = image.mode
    orientation = image.getexif().get(EXIF_ORIENTATION, 1)
    width, height = image.size
    if orientation in ROTATING_ORIENTATIONS:
        width, height = height, width
    dpi = declared_dpi(image)
    if declared is not None:
        at_width = declared[0] * width / declared[1]
        dpi = (at_width, at_width)
    scale = min(1.0, long_side / max(width, height))
    if image.format == "JPEG" and scale < 1.0:
        # DCT scaling decodes straight to a smaller size: 2-4x faster than a full decode.
        image.draft(_draft_mode(image.mode), _at_least(image.size, scale))
    try:
        image.load()
    except (OSError, SyntaxError, ValueError) as error:
        raise ImageRejected(f"truncated or corrupt {media_type} data: {error}") from None
    image = _analysable(ImageOps.exif_transpose(image))
    derivative = image
    if max(image.size) > long_side:
        derivative = image.copy()
        derivative.thumbnail((long_side, long_side), Image.Resampling.LANCZOS)
    thumbnail = derivative.copy()
    thumbnail.thumbnail((thumbnail_size, thumbnail_size), Image.Resampling.LANCZOS)
    unchanged = scale == 1.0 and orientation == 1 and source_mode in ("RGB", "L")
    scaled = _scaled(dpi, width, derivative.width)
    if unchanged and media_type in SERVABLE_AS_IS:
        # Re-encoding would only cost OCR accuracy: a JPEG generation, the resolution. What
        # the bytes do not carry, the event says (`resolution`).
        analyzed = EncodedImage(data, media_type, width, height)
    else:
        lossy = media_type in LOSSY_SOURCES
        analyzed = _encode(derivative, lossy=lossy, dpi=scaled)
    thumbnail_image = _encode(thumbnail, lossy=True)
    ppi = scaled[1] if scaled else None
    return NormalizedImage(media_type, width, height, analyzed, thumbnail_image, ppi)


def _open(data: bytes, max_pixels: int) -> Image.Image:
    try:
        # Pillow's guard hangs on a process-wide limit that libraries change (OCR-D's
        # ocrd_utils raises it to 1.6 Gpx on import): its warning says nothing `max_pixels`
        # below does not decide, whatever the global is.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError as error:
        raise ImageRejected(f"too many pixels (decompression bomb guard): {error}") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise ImageRejected(f"undecodable image: {error}") from None
    width, height = image.size
    if width * height > max_pixels:
        raise ImageRejected(
            f"too many pixels: {width}×{height} = {width * height:,} over the {max_pixels:,} limit"
        )
    return image


def declared_dpi(image: Image.Image) -> object:
    """The resolution the image's tags declare. Pillow reports 72 dpi for a JPEG whose EXIF
    block has no resolution: that is Pillow's default, not the file's word, so it is dropped."""
    dpi = image.info.get("dpi")
    if image.format == "JPEG" and image.info.get("jfif_unit") not in (1, 2):
        return dpi if EXIF_X_RESOLUTION in image.getexif() else None
    return dpi


def _draft_mode(mode: str) -> str | None:
    return mode if mode in ("L", "RGB") else None


def _at_least(size: tuple[int, int], scale: float) -> tuple[int, int]:
    return (math.ceil(size[0] * scale), math.ceil(size[1] * scale))


def _analysable(image: Image.Image) -> Image.Image:
    """RGB or L: what OCR engines read. Alpha is flattened on white, 16-bit scaled to 8."""
    if image.mode in ("RGB", "L"):
        return image
    if image.mode == "1":
        return image.convert("L")
    if image.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        return _to_eight_bits(image)
    if image.mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    if image.mode in ("LA", "La", "PA"):
        image = image.convert("LA")
        background = Image.new("L", image.size, 255)
        background.paste(image.getchannel("L"), mask=image.getchannel("A"))
        return background
    if image.mode in ("RGBA", "RGBa"):
        background = Image.new("RGB", image.size, (255, 255, 255))
        background.paste(image.convert("RGB"), mask=image.getchannel("A"))
        return background
    return image.convert("RGB")  # CMYK, YCbCr, LAB, HSV


def _to_eight_bits(image: Image.Image) -> Image.Image:
    wide = image.convert("F") if image.mode != "F" else image
    if image.mode.startswith("I;16"):
        return wide.point(lambda value: value * (255.0 / 65535.0)).convert("L")
    low, high = (float(v) for v in wide.getextrema())  # type: ignore[arg-type]
    span = high - low or 1.0
    return wide.point(lambda value: (value - low) * 255.0 / span).convert("L")


def _scaled(dpi: object, source_width: int, width: int) -> tuple[float, float] | None:
    """The source's resolution at the derivative's size: Tesseract sizes text by it."""
    if not (isinstance(dpi, tuple) and len(dpi) == 2):
        return None
    try:
        if not all(float(d) > 0 for d in dpi):
            return None
    except (TypeError, ValueError):
        return None
    factor = width / source_width
    return (float(dpi[0]) * factor, float(dpi[1]) * factor)


def _encode(
    image: Image.Image, *, lossy: bool, dpi: tuple[float, float] | None = None
) -> EncodedImage:
    buffer = io.BytesIO()
    options = {"dpi": dpi} if dpi else {}
    if lossy:
        image.save(buffer, format="JPEG", quality=90, optimize=False, **options)
    else:
        # Level 1: several times faster than the default for a few percent more bytes.
        image.save(buffer, format="PNG", compress_level=1, **options)
    media_type = "image/jpeg" if lossy else "image/png"
    return EncodedImage(buffer.getvalue(), media_type, image.width, image.height)
