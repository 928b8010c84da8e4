"""`normalize_page_image` with the in-memory fetcher: service, fallback, uploads, failures."""

from __future__ import annotations

import json
from uuid import uuid4

from contracts import PageImageNormalized, PageIngestFailed, PageRegistered, page_stream
from infra.artifacts import InMemoryArtifactStore
from ingest.adapters.image_service import CachedImageInfo
from ingest.adapters.memory_fetcher import InMemoryFetcher
from ingest.application.normalize_page_image import normalize_page_image
from ingest.application.ports import IngestPorts, IngestSettings

SERVICE = "https://img.example.org/iiif/3/p1"
STATIC = "https://img.example.org/static/p1.jpg"


def registered(**image: object) -> PageRegistered:
    return PageRegistered.model_validate(
        {"page_id": uuid4(), "manuscript_id": uuid4(), "corpus_id": uuid4(), "index": 0, **image}
    )


def info_json(width: int, height: int, **extra: object) -> bytes:
    return json.dumps(
        {
            "id": SERVICE,
            "type": "ImageService3",
            "profile": "level1",
            "width": width,
            "height": height,
            **extra,
        }
    ).encode()


def ports(routes: dict[str, bytes | int]) -> tuple[IngestPorts, InMemoryFetcher]:
    fetcher = InMemoryFetcher(routes)
    settings = IngestSettings(derivative_long_side=600, thumbnail_size=64)
    return IngestPorts(
        fetcher, CachedImageInfo(fetcher), InMemoryArtifactStore(), settings
    ), fetcher


async def test_service_image_keeps_the_master_size_of_info_json(images) -> None:
    page = registered(image_service=SERVICE, image_service_version=3, image_url=STATIC)
    ingest, fetcher = ports(
        {
            f"{SERVICE}/info.json": info_json(4000, 6000),
            f"{SERVICE}/full/400,600/0/default.jpg": images.jpeg(400, 600),
        }
    )
    [(stream, event)] = await normalize_page_image(page, ingest)
    assert stream == page_stream(page.page_id)
    assert isinstance(event, PageImageNormalized)
    assert (event.master.width, event.master.height) == (4000, 6000)
    assert event.fetched is not None
    assert (event.fetched.width, event.fetched.height) == (400, 600)
    assert (event.derivative.width, event.derivative.height) == (400, 600)
    assert max(event.thumbnail.width, event.thumbnail.height) == 64
    assert ingest.artifacts.exists(event.master)
    assert ingest.artifacts.exists(event.thumbnail)
    assert STATIC not in fetcher.requested

    # A second page of the same service reuses the cached info.json.
    await normalize_page_image(registered(image_service=SERVICE, image_service_version=3), ingest)
    assert fetcher.requested.count(f"{SERVICE}/info.json") == 1


async def test_a_physdim_service_gives_the_derivative_its_resolution(images) -> None:
    """The server's JPEG has no resolution of its own; info.json says 400 ppi at full size."""
    physdim = {
        "profile": "http://iiif.io/api/annex/services/physdim",
        "physicalScale": 0.0025,
        "physicalUnits": "in",
    }
    page = registered(image_service=SERVICE, image_service_version=3)
    ingest, _ = ports(
        {
            f"{SERVICE}/info.json": info_json(4000, 6000, service=[physdim]),
            f"{SERVICE}/full/400,600/0/default.jpg": images.jpeg(400, 600),
        }
    )
    [(_, event)] = await normalize_page_image(page, ingest)
    assert isinstance(event, PageImageNormalized)
    assert event.resolution == 40.0  # a tenth of the width: a tenth of 400 ppi

    ingest, _ = ports(
        {
            f"{SERVICE}/info.json": info_json(4000, 6000),
            f"{SERVICE}/full/400,600/0/default.jpg": images.jpeg(400, 600),
        }
    )
    [(_, event)] = await normalize_page_image(page, ingest)
    assert isinstance(event, PageImageNormalized)
    assert event.resolution is None  # nothing declared: the engine estimates


async def test_failing_service_falls_back_to_the_static_image(images) -> None:
    page = registered(image_service=SERVICE, image_service_version=3, image_url=STATIC)
    ingest, _fetcher = ports({f"{SERVICE}/info.json": 500, STATIC: images.jpeg(1200, 900)})
    [(_, event)] = await normalize_page_image(page, ingest)
    assert isinstance(event, PageImageNormalized)
    assert (event.master.width, event.master.height) == (1200, 900)
    assert event.fetched is None
    assert (event.derivative.width, event.derivative.height) == (600, 450)
    assert event.source_url == STATIC


async def test_both_sources_failing_says_what_was_tried() -> None:
    page = registered(image_service=SERVICE, image_service_version=3, image_url=STATIC)
    ingest, _ = ports({f"{SERVICE}/info.json": b"{}", STATIC: 404})
    [(_, event)] = await normalize_page_image(page, ingest)
    assert isinstance(event, PageIngestFailed)
    assert (event.step, event.code) == ("fetch", "fetch-failed")
    assert event.reason == (
        "image service: info.json has no id/@id; static image: HTTP 404 from " + STATIC
    )


async def test_upload_is_read_from_the_artifact_store(images) -> None:
    ingest, fetcher = ports({})
    upload = ingest.artifacts.put(images.jpeg(300, 200), "image/jpeg")
    [(_, event)] = await normalize_page_image(registered(upload=upload.model_dump()), ingest)
    assert isinstance(event, PageImageNormalized)
    assert event.master.sha256 == upload.sha256
    assert (event.master.width, event.master.height) == (300, 200)
    assert fetcher.requested == []


async def test_bad_bytes_fail_at_decode(images) -> None:
    ingest, _ = ports({STATIC: images.huge_png()})
    [(_, event)] = await normalize_page_image(registered(image_url=STATIC), ingest)
    assert isinstance(event, PageIngestFailed)
    assert (event.step, event.code, event.retryable) == ("decode", "image-rejected", False)
    assert "too many pixels" in event.reason
