"""The physdim service, wherever and however a IIIF document gives it."""

from __future__ import annotations

import json
from uuid import uuid4

import pytest

from contracts import (
    IiifSource,
    ManuscriptImportRequested,
    PageImageNormalized,
    PageRegistered,
)
from infra.artifacts import InMemoryArtifactStore
from ingest.adapters.image_service import CachedImageInfo
from ingest.adapters.memory_fetcher import InMemoryFetcher
from ingest.application.normalize_page_image import normalize_page_image
from ingest.application.ports import IngestPorts, IngestSettings
from ingest.domain.manifest import Manifest
from ingest.domain.registration import register_canvases
from ingest.formats.iiif.documents import parse_document
from ingest.formats.iiif.image_info import parse_image_info
from ingest.formats.iiif.physical_dimensions import physical_ppi

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


def manifest_with_physdim(version: int) -> dict[str, object]:
    image = "https://images.example.org/p1.jpg"
    if version == 3:
        return {
            "@context": "http://iiif.io/api/presentation/3/context.json",
            "id": "https://example.org/m",
            "type": "Manifest",
            "items": [
                {
                    "id": "https://example.org/c1",
                    "type": "Canvas",
                    "width": 2000,
                    "height": 3000,
                    "service": [{**V2_SERVICE, "physicalScale": 0.005}],
                    "items": [
                        {
                            "type": "AnnotationPage",
                            "items": [
                                {
                                    "type": "Annotation",
                                    "motivation": "painting",
                                    "target": "https://example.org/c1",
                                    "body": {"id": image, "type": "Image"},
                                }
                            ],
                        }
                    ],
                }
            ],
        }
    return {
        "@context": "http://iiif.io/api/presentation/2/context.json",
        "@id": "https://example.org/m",
        "@type": "sc:Manifest",
        "sequences": [
            {
                "canvases": [
                    {
                        "@id": "https://example.org/c1",
                        "@type": "sc:Canvas",
                        "width": 2000,
                        "height": 3000,
                        "service": {**V2_SERVICE, "physicalScale": 0.005},
                        "images": [{"resource": {"@id": image, "@type": "dctypes:Image"}}],
                    }
                ]
            }
        ],
    }


@pytest.mark.parametrize("version", [2, 3])
def test_a_canvas_physdim_service_is_registered_with_the_page(version: int) -> None:
    manifest = parse_document(json.dumps(manifest_with_physdim(version)).encode())
    assert isinstance(manifest, Manifest)
    request = ManuscriptImportRequested(
        manuscript_id=uuid4(),
        corpus_id=uuid4(),
        job_id=uuid4(),
        source=IiifSource(url="https://example.org/m"),
    )

    (page,) = register_canvases(request, list(enumerate(manifest.image_canvases)))

    assert page.canvas_resolution == pytest.approx(200.0)


async def test_a_static_image_gets_the_canvas_resolution_scaled_to_its_width(images) -> None:
    image = "https://images.example.org/p1.jpg"
    page = PageRegistered(
        page_id=uuid4(),
        manuscript_id=uuid4(),
        corpus_id=uuid4(),
        index=0,
        canvas_width=2000,
        canvas_height=3000,
        canvas_resolution=200.0,
        image_url=image,
    )
    fetcher = InMemoryFetcher({image: images.jpeg(500, 750)})
    settings = IngestSettings(derivative_long_side=600, thumbnail_size=64)
    ports = IngestPorts(fetcher, CachedImageInfo(fetcher), InMemoryArtifactStore(), settings)

    [(_, event)] = await normalize_page_image(page, ports)

    # The 500 px image paints the 2000-unit canvas at 200 ppi: 50 ppi, then 40 at 400 px.
    assert isinstance(event, PageImageNormalized)
    assert event.derivative.width == 400
    assert event.resolution == pytest.approx(40.0)
