"""Normalization: orientation, modes, limits and broken inputs, on real encoded images."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageStat

from contracts.errors import ImageRejected
from ingest.formats.pillow_normalizer import normalize_image


def decoded(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def test_large_jpeg_gets_a_bounded_derivative_and_thumbnail(images) -> None:
    result = normalize_image(images.jpeg(3000, 4500), long_side=1200, thumbnail_size=256)
    assert (result.width, result.height) == (3000, 4500)
    assert (result.derivative.width, result.derivative.height) == (800, 1200)
    assert max(result.thumbnail.width, result.thumbnail.height) == 256
    assert decoded(result.derivative.data).size == (800, 1200)
    assert result.source_media_type == "image/jpeg"


def test_small_image_is_never_upscaled(images) -> None:
    result = normalize_image(images.jpeg(300, 200), long_side=2400)
    assert (result.derivative.width, result.derivative.height) == (300, 200)


@pytest.mark.parametrize("orientation", [6, 8])
def test_exif_rotation_is_applied_and_master_size_is_upright(images, orientation: int) -> None:
    result = normalize_image(images.jpeg(600, 200, orientation=orientation), long_side=2400)
    assert (result.width, result.height) == (200, 600)
    derivative = decoded(result.derivative.data).convert("L")
    assert derivative.size == (200, 600)
    # The dark band was on the left edge; a quarter turn moves it to the top or the bottom.
    top = ImageStat.Stat(derivative.crop((0, 0, 200, 50))).mean[0]
    bottom = ImageStat.Stat(derivative.crop((0, 550, 200, 600))).mean[0]
    middle = ImageStat.Stat(derivative.crop((0, 250, 200, 350))).mean[0]
    assert middle > 200
    assert min(top, bottom) < 60
    assert max(top, bottom) > 200
    assert (top < bottom) == (orientation == 6)


@pytest.mark.parametrize(
    ("make", "mode"),
    [
        (lambda f: f.jpeg(400, 300, mode="CMYK"), "RGB"),
        (lambda f: f.jpeg(400, 300, mode="L"), "L"),
        (lambda f: f.png(Image.new("I;16", (40, 30), 65535)), "L"),
        (lambda f: f.png(Image.new("P", (40, 30), 3)), "RGB"),
        (lambda f: f.png(Image.new("RGBA", (40, 30), (255, 0, 0, 0))), "RGB"),
        (lambda f: f.png(Image.new("LA", (40, 30), (0, 0))), "L"),
        (lambda f: f.png(Image.new("1", (40, 30), 1)), "L"),
    ],
    ids=["cmyk", "grey", "16-bit", "palette", "rgba", "la", "bitonal"],
)
def test_every_mode_becomes_rgb_or_grey(images, make, mode: str) -> None:
    result = normalize_image(make(images))
    assert decoded(result.derivative.data).mode == mode
    assert decoded(result.thumbnail.data).mode == mode


def test_sixteen_bit_white_stays_white_and_alpha_is_flattened_on_white(images) -> None:
    white16 = normalize_image(images.png(Image.new("I;16", (20, 20), 65535)))
    assert decoded(white16.derivative.data).getextrema()[0] >= 250
    transparent = normalize_image(images.png(Image.new("RGBA", (20, 20), (255, 0, 0, 0))))
    assert min(low for low, _ in decoded(transparent.derivative.data).getextrema()) >= 250


def test_decompression_bomb_is_rejected_from_its_header(images) -> None:
    bomb = images.huge_png()
    assert len(bomb) < 200
    with pytest.raises(ImageRejected, match="too many pixels"):
        normalize_image(bomb)


def test_pixel_limit_is_configurable(images) -> None:
    with pytest.raises(ImageRejected, match="1,000,000 limit"):
        normalize_image(images.jpeg(2000, 1000), max_pixels=1_000_000)


def test_truncated_jpeg_is_rejected(images) -> None:
    whole = images.jpeg(800, 600)
    with pytest.raises(ImageRejected, match="truncated or corrupt image/jpeg"):
        normalize_image(whole[: len(whole) // 2])


def test_html_served_as_an_image_is_rejected_by_its_bytes() -> None:
    with pytest.raises(ImageRejected, match="not an image: the body is an HTML page"):
        normalize_image(b"<!DOCTYPE html><html><body>Not found</body></html>")


def encoded(image: Image.Image, format: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format, **options)
    return buffer.getvalue()


def noise(mode: str, size: tuple[int, int]) -> Image.Image:
    """Pixels a lossy codec cannot keep exactly: any re-encoding shows."""
    return Image.effect_noise(size, 64).convert(mode)


@pytest.mark.parametrize(("format", "media_type"), [("JPEG", "image/jpeg"), ("PNG", "image/png")])
def test_a_source_needing_no_change_is_its_own_derivative(format: str, media_type: str) -> None:
    source = encoded(noise("RGB", (600, 400)), format)
    result = normalize_image(source, long_side=2400)
    assert result.derivative.data == source  # no second JPEG generation, nothing dropped
    assert result.derivative.media_type == media_type
    assert (result.derivative.width, result.derivative.height) == (600, 400)


def test_a_lossless_source_gets_a_lossless_derivative() -> None:
    source = noise("L", (300, 200))
    tiff = encoded(source, "TIFF", compression="tiff_lzw")
    result = normalize_image(tiff, long_side=2400)
    assert result.derivative.media_type == "image/png"
    assert decoded(result.derivative.data).tobytes() == source.tobytes()
    bitonal = Image.new("1", (40, 30), 1)
    bitonal.paste(0, (0, 0, 10, 30))
    result = normalize_image(encoded(bitonal, "PNG"))
    assert result.derivative.media_type == "image/png"
    assert decoded(result.derivative.data).tobytes() == bitonal.convert("L").tobytes()


@pytest.mark.parametrize(("format", "media_type"), [("JPEG", "image/jpeg"), ("TIFF", "image/png")])
def test_the_resolution_follows_the_derivative(format: str, media_type: str) -> None:
    """Tesseract reads the resolution to size text: a derivative at 40% is at 40% of the dpi."""
    source = encoded(noise("RGB", (3000, 2000)), format, dpi=(400, 400))
    result = normalize_image(source, long_side=1200)
    derivative = decoded(result.derivative.data)
    assert result.derivative.media_type == media_type
    assert derivative.size == (1200, 800)
    assert derivative.info["dpi"] == pytest.approx((160, 160), abs=0.5)
    assert result.resolution == pytest.approx(160, abs=0.01)


def test_a_source_without_a_resolution_gets_none_invented() -> None:
    source = encoded(noise("RGB", (3000, 2000)), "JPEG")
    result = normalize_image(source, long_side=1200)
    derivative = decoded(result.derivative.data)
    assert "dpi" not in derivative.info  # Tesseract then estimates it from the text
    assert result.resolution is None


def test_a_resolution_declared_beside_the_bytes_is_kept_though_the_bytes_stay_as_they_are() -> None:
    """An image server's JPEG carries no resolution; its physdim service says 300 ppi."""
    source = encoded(noise("RGB", (600, 400)), "JPEG", dpi=(72, 72))
    result = normalize_image(source, long_side=2400, declared=(300.0, 600))
    assert result.derivative.data == source  # served as is: the event says the resolution
    assert result.resolution == 300.0
    # 400 ppi declared for the 1200 px wide full image these 600 px were cut from: 200 ppi.
    assert normalize_image(source, declared=(400.0, 1200)).resolution == 200.0
    scaled = normalize_image(source, long_side=300, declared=(300.0, 600))
    assert scaled.resolution == pytest.approx(150.0)
    assert decoded(scaled.derivative.data).info["dpi"] == pytest.approx((150, 150), abs=0.5)
