"""Choosing Image API requests: every corpus info.json, and the size rules as properties."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contracts.errors import ImageServiceInvalid
from ingest.domain.image_request import ImageInfo, choose_request, fit
from ingest.formats.iiif.image_info import parse_image_info

# info.json: (Image API version, level, request URL tail, width, height)
INFO: dict[str, tuple[int, int | None, str, int, int]] = {
    "v1.1-gallica-btv1b53243704g-f1.json": (1, 2, "/f1/full/1714,/0/native.jpg", 1714, 2400),
    # level 0 without `sizes`: only the full image can be asked for.
    "v2-rotterdam-level0.json": (2, 0, "-01/full/full/0/default.jpg", 9102, 6922),
    "v2-spk-berlin-630107580.json": (2, 2, ".tif/full/1616,/0/default.jpg", 1616, 2400),
    "v2-stanford-PaloAlto3.json": (2, 2, "/PaloAlto3/full/2024,/0/default.jpg", 2024, 2400),
    "v2-toolforge-iipsrv.json": (2, 2, ".tif/full/2027,/0/default.jpg", 2027, 2400),
    "v2-zlb-15453873.json": (2, 2, ".tif/full/2400,/0/default.jpg", 2400, 1899),
    # profile maxWidth 2000 caps the 2400 px wish.
    "v2.1-spec-5.3-profile-maxWidth.json": (2, 2, "591C/full/2000,/0/default.jpg", 2000, 1500),
    "v2.1-spec-5.6-complete.json": (2, 2, "591C/full/2400,/0/default.jpg", 2400, 1600),
    "v3-iiif-reference-gottingen.json": (3, 1, "gen/full/2400,1800/0/default.jpg", 2400, 1800),
    # maxWidth 3000, maxHeight 2000, maxArea 4,000,000: 2400×1600 fits all three.
    "v3-spec-5.2-maxWidth-maxHeight-maxArea.json": (
        3,
        2,
        "591C/full/2400,1600/0/default.jpg",
        2400,
        1600,
    ),
    # level 0 with sizes: the largest listed (1999 px) is below 2400, so it is taken.
    "v3-uvacreate-level0.json": (3, 0, "/mmph_wae681/full/max/0/default.jpg", 1999, 1485),
}
INVALID = {"v3-INVALID-bad-sizes.json": "sizes must be a list, got str"}


def test_every_info_json_is_in_a_table(corpora: Path) -> None:
    assert {p.name for p in (corpora / "iiif" / "info").glob("*.json")} == {*INFO, *INVALID}


@pytest.mark.parametrize(("name", "expected"), INFO.items(), ids=list(INFO))
def test_info_json_gives_a_request_for_the_derivative(
    corpora: Path, name: str, expected: tuple[int, int | None, str, int, int]
) -> None:
    version, level, tail, width, height = expected
    info = parse_image_info((corpora / "iiif" / "info" / name).read_bytes())
    assert (info.version, info.level) == (version, level)
    request = choose_request(info, 2400)
    assert request.url.startswith("http")
    assert request.url.endswith(tail)
    assert (request.width, request.height) == (width, height)


@pytest.mark.parametrize(("name", "reason"), INVALID.items())
def test_invalid_info_json_is_refused(corpora: Path, name: str, reason: str) -> None:
    with pytest.raises(ImageServiceInvalid, match=reason):
        parse_image_info((corpora / "iiif" / "info" / name).read_bytes())


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        ("[]", "not a JSON object"),
        ("{", "not JSON"),
        ('{"id": "https://x/1", "width": 10}', "height must be a positive integer"),
        ('{"@id": "https://x/1", "width": "10", "height": 5}', "width must be a positive"),
        ('{"width": 10, "height": 5}', "no id"),
        ('{"id": "https://x/1", "width": 9, "height": 9, "sizes": [1]}', "not an object"),
    ],
)
def test_malformed_info_json_is_refused(document: str, reason: str) -> None:
    with pytest.raises(ImageServiceInvalid, match=reason):
        parse_image_info(document)


dimensions = st.integers(min_value=1, max_value=100_000)
optional_limit = st.none() | st.integers(min_value=1, max_value=50_000)


@given(
    width=dimensions,
    height=dimensions,
    long_side=st.integers(min_value=1, max_value=10_000),
    max_width=optional_limit,
    max_height=optional_limit,
    max_area=st.none() | st.integers(min_value=1, max_value=10**9),
)
def test_fit_never_exceeds_a_limit_and_keeps_the_aspect(
    width: int,
    height: int,
    long_side: int,
    max_width: int | None,
    max_height: int | None,
    max_area: int | None,
) -> None:
    w, h = fit(width, height, long_side, max_width, max_height, max_area)
    assert 1 <= w <= width
    assert 1 <= h <= height
    assert max(w, h) <= long_side
    assert w <= (max_width or w)
    assert h <= (max_height or h)
    if max_area and min(w, h) > 1:  # a side clamped to 1 px cannot shrink further
        assert w * h <= max_area
    # Both sides come from one scale factor s, each floored: |w - W·s| < 1 and |h - H·s| < 1.
    assert abs(w * height - h * width) < width + height


@given(
    width=dimensions,
    height=dimensions,
    sizes=st.lists(st.tuples(dimensions, dimensions), min_size=1, max_size=6),
    long_side=st.integers(min_value=1, max_value=10_000),
)
def test_level0_asks_only_for_listed_sizes_or_the_full_image(
    width: int, height: int, sizes: list[tuple[int, int]], long_side: int
) -> None:
    info = ImageInfo("https://example.org/iiif/x", 3, width, height, level=0, sizes=tuple(sizes))
    request = choose_request(info, long_side)
    assert (request.width, request.height) in {*sizes, (width, height)}
    reaching = [s for s in sizes if max(s) >= long_side]
    if reaching:
        assert max(request.width, request.height) == min(max(s) for s in reaching)
