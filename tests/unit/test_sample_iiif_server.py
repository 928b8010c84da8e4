"""The demo's IIIF server keeps the promise of its `level1` profile: viewers tile its images."""

from __future__ import annotations

import io
from collections.abc import Iterator

import httpx
import pytest
from PIL import Image

from recto.sample.iiif_server import serving
from recto.sample.image_api import BadImageRequest, Region, region, size
from recto.sample.pages import generated_pages


@pytest.fixture(scope="module")
def image_service() -> Iterator[str]:
    """The first sample page's image service (the pages are 1400×2000)."""
    with serving(generated_pages(1)) as manifest_url:
        manifest = httpx.get(manifest_url, timeout=30).json()
        body = manifest["items"][0]["items"][0]["items"][0]["body"]
        yield body["service"][0]["id"]


def _image(service: str, path: str, media_type: str = "image/jpeg") -> Image.Image:
    answer = httpx.get(f"{service}/{path}", timeout=30)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == media_type
    assert answer.headers["access-control-allow-origin"] == "*"
    return Image.open(io.BytesIO(answer.content))


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("full", Region(0, 0, 1400, 2000)),
        ("square", Region(0, 300, 1400, 1400)),
        ("100,200,300,400", Region(100, 200, 300, 400)),
        ("1300,1900,500,500", Region(1300, 1900, 100, 100)),
        ("pct:10,10,50,25", Region(140, 200, 700, 500)),
    ],
)
def test_regions_name_pixels_clipped_to_the_image(spec: str, expected: Region) -> None:
    assert region(spec, 1400, 2000) == expected


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("max", (700, 1000)),
        ("350,", (350, 500)),
        (",500", (350, 500)),
        ("pct:50", (350, 500)),
        ("!200,200", (140, 200)),
        ("!2000,2000", (700, 1000)),
        ("^!2000,2000", (1400, 2000)),
        ("^1400,", (1400, 2000)),
        ("100,100", (100, 100)),
    ],
)
def test_sizes_scale_the_region_and_upscale_only_when_asked(
    spec: str, expected: tuple[int, int]
) -> None:
    assert size(spec, 700, 1000) == expected


@pytest.mark.parametrize(
    ("kind", "spec"),
    [
        ("region", "1400,0,10,10"),
        ("region", "0,0,0,10"),
        ("region", "left"),
        ("size", "701,"),
        ("size", "pct:101"),
        ("size", ","),
        ("size", "!100,"),
        ("size", "0,"),
    ],
)
def test_requests_for_nothing_or_beyond_the_region_are_refused(kind: str, spec: str) -> None:
    parse = (
        (lambda: region(spec, 1400, 2000)) if kind == "region" else (lambda: size(spec, 700, 1000))
    )
    with pytest.raises(BadImageRequest):
        parse()


def test_info_json_declares_level1_tiles_and_what_it_adds(image_service: str) -> None:
    answer = httpx.get(
        f"{image_service}/info.json", headers={"Accept": "application/ld+json"}, timeout=30
    )
    info = answer.json()
    assert answer.headers["content-type"].startswith("application/ld+json")
    assert answer.headers["access-control-allow-origin"] == "*"
    assert info["profile"] == "level1"
    assert info["id"] == image_service
    assert info["tiles"] == [{"width": 512, "scaleFactors": [1, 2, 4]}]
    assert "regionByPct" in info["extraFeatures"]
    redirect = httpx.get(image_service, timeout=30)
    assert redirect.status_code == 303
    assert redirect.headers["location"] == f"{image_service}/info.json"


def test_tiles_and_thumbnails_are_served_at_the_size_asked(image_service: str) -> None:
    # A tile as OpenSeadragon asks for it: a region at scale factor 2, then the last one.
    assert _image(image_service, "0,0,1024,1024/512,/0/default.jpg").size == (512, 512)
    assert _image(image_service, "1024,1024,376,976/188,/0/default.jpg").size == (188, 488)
    assert _image(image_service, "square/100,/0/default.jpg").size == (100, 100)
    assert _image(image_service, "pct:0,0,50,50/pct:10/0/default.jpg").size == (70, 100)
    # A whole page loses nothing the original carries: the generated pages are PNGs, so a
    # smaller whole page is a PNG too, and the full size is the original file itself.
    assert _image(image_service, "full/!200,200/0/default.jpg", "image/png").size == (140, 200)
    assert _image(image_service, "full/max/0/default.jpg", "image/png").size == (1400, 2000)


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("2000,0,10,10/max/0/default.jpg", 400),
        ("full/2000,/0/default.jpg", 400),
        ("full/max/90/default.jpg", 501),
        ("full/max/0/gray.jpg", 501),
    ],
)
def test_what_it_cannot_serve_is_a_client_error_or_not_implemented(
    image_service: str, path: str, status: int
) -> None:
    assert httpx.get(f"{image_service}/{path}", timeout=30).status_code == status
