"""The physdim service, wherever and however a IIIF document gives it."""

from __future__ import annotations

import pytest

from ingest.adapters.iiif.image_info import parse_image_info
from ingest.adapters.iiif.physical_dimensions import physical_ppi

V2_SERVICE = {
    "@context": "http://iiif.io/api/annex/services/physdim/1/context.json",
    "profile": "http://iiif.io/api/annex/services/physdim",
    "physicalScale": 0.0025,
    "physicalUnits": "in",
}


@pytest.mark.parametrize(
    ("service", "ppi"),
    [
        (V2_SERVICE, 400.0),
        ({**V2_SERVICE, "physicalScale": 0.00846666, "physicalUnits": "cm"}, 300.0),
        ({"type": "PhysicalDimensions", "physicalScale": 0.0846666, "physicalUnits": "mm"}, 300.0),
    ],
)
def test_a_physical_scale_is_a_resolution(service: dict[str, object], ppi: float) -> None:
    assert physical_ppi([service]) == pytest.approx(ppi, rel=1e-4)
    assert physical_ppi(service) == pytest.approx(ppi, rel=1e-4)  # one object, not a list


@pytest.mark.parametrize(
    "services",
    [
        None,
        [{"profile": "http://iiif.io/api/auth/1/login", "physicalScale": 0.01}],
        [{**V2_SERVICE, "physicalUnits": "furlong"}],
        [{**V2_SERVICE, "physicalScale": 0}],
        [{**V2_SERVICE, "physicalScale": "big"}],
        ["http://example.org/a-service-by-reference"],
    ],
)
def test_anything_else_declares_nothing(services: object) -> None:
    assert physical_ppi(services) is None


def test_an_image_service_declares_its_resolution_at_full_size() -> None:
    info = parse_image_info(
        {
            "@context": "http://iiif.io/api/image/3/context.json",
            "id": "https://images.example.org/iiif/p1",
            "type": "ImageService3",
            "profile": "level1",
            "width": 3000,
            "height": 4000,
            "service": [V2_SERVICE],
        }
    )
    assert info.ppi == pytest.approx(400.0)
