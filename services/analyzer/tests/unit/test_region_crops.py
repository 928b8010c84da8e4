"""Regions cut out of a page for recognition on the ground truth's layout."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageColor

from analyzer.formats.images import crop_regions, declared_resolution


def page(mode: str, dpi: tuple[int, int] | None, image_format: str) -> bytes:
    image = Image.new(mode, (100, 50), "white")
    image.putpixel((20, 10), ImageColor.getcolor("black", mode))
    out = io.BytesIO()
    image.save(out, format=image_format, **({"dpi": dpi} if dpi else {}))
    return out.getvalue()


@pytest.mark.parametrize(
    ("mode", "image_format"), [("1", "TIFF"), ("L", "PNG"), ("RGB", "JPEG"), ("CMYK", "TIFF")]
)
def test_each_box_is_cut_out_losslessly_with_the_page_resolution(
    mode: str, image_format: str
) -> None:
    data = page(mode, (300, 300), image_format)
    boxes = [(10, 5, 40, 25), (90, 40, 120, 70), (200, 200, 210, 210)]

    crops = crop_regions(data, boxes)

    # The second box is clamped to the page; the third lies outside it and gives no crop.
    assert len(crops) == 2
    first, second = (Image.open(io.BytesIO(crop)) for crop in crops)
    assert (first.format, first.size, second.size) == ("PNG", (30, 20), (10, 10))
    assert declared_resolution(crops[0]) == pytest.approx(300, abs=0.5)
    if image_format != "JPEG":  # lossless source: the mark is exactly where it was
        assert first.convert("L").getpixel((10, 5)) == 0


def test_a_page_without_a_declared_resolution_gives_crops_without_one() -> None:
    crops = crop_regions(page("L", None, "PNG"), [(0, 0, 10, 10)])

    assert declared_resolution(crops[0]) is None
