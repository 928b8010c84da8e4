"""Import and normalize whole manuscripts from a real IIIF image server on loopback."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path
from uuid import uuid4

import pytest

from contracts import (
    ManuscriptImported,
    ManuscriptImportRequested,
    PageImageNormalized,
    PageIngestFailed,
    PageRegistered,
)
from infra.addresses import AddressPolicy
from infra.artifacts import FileArtifactStore
from ingest.adapters.http_fetcher import FetchSettings, HttpxFetcher
from ingest.adapters.image_service import CachedImageInfo
from ingest.application.import_manuscript import import_manuscript
from ingest.application.normalize_page_image import normalize_page_image
from ingest.application.ports import IngestPorts, IngestSettings

from .conftest import ServerState, master_size, render_jpeg

pytestmark = pytest.mark.integration

LONG_SIDE = 1000


@pytest.fixture
async def ports(tmp_path: Path) -> AsyncIterator[IngestPorts]:
    fetcher = HttpxFetcher(
        AddressPolicy.from_allow_list("127.0.0.1"),
        FetchSettings(backoff_base=0.01, retries=3, max_bytes=16 << 20),
    )
    yield IngestPorts(
        fetcher,
        CachedImageInfo(fetcher),
        FileArtifactStore(tmp_path / "artifacts"),
        IngestSettings(derivative_long_side=LONG_SIDE, thumbnail_size=256),
    )
    await fetcher.aclose()


def import_request(url: str) -> ManuscriptImportRequested:
    return ManuscriptImportRequested.model_validate(
        {
            "manuscript_id": uuid4(),
            "corpus_id": uuid4(),
            "job_id": uuid4(),
            "source": {"kind": "iiif", "url": url},
        }
    )


async def import_and_normalize(url: str, ports: IngestPorts) -> tuple[list[PageRegistered], list]:
    emitted = await import_manuscript(import_request(url), ports)
    assert isinstance(emitted[0][1], ManuscriptImported), emitted[0][1]
    pages = [event for _, event in emitted if isinstance(event, PageRegistered)]
    results = []
    for page in pages:
        [(_, result)] = await normalize_page_image(page, ports)
        results.append(result)
    return pages, results


def expected_derivative(name: str) -> tuple[int, int]:
    width, height = master_size(name)
    scale = LONG_SIDE / max(width, height)
    return int(width * scale), int(height * scale)


@pytest.mark.parametrize("manifest", ["manifest.json?pages=20", "manifest2.json?pages=20"])
async def test_twenty_page_manuscript_is_normalized(
    iiif_server: ServerState, ports: IngestPorts, manifest: str
) -> None:
    pages, results = await import_and_normalize(f"{iiif_server.base}/{manifest}", ports)

    assert len(pages) == 20
    assert all(isinstance(r, PageImageNormalized) for r in results), results
    for index, result in enumerate(results):
        name = f"p{index:02d}"
        assert (result.master.width, result.master.height) == master_size(name)
        # Image API 2 asks for `w,` and the server rounds the height: allow that one pixel.
        width, height = expected_derivative(name)
        assert result.derivative.width == width
        assert abs(result.derivative.height - height) <= 1
        # Served at the size asked for, the image is analyzed as delivered: no re-encoding.
        served = render_jpeg(result.derivative.width, result.derivative.height, name)
        assert ports.artifacts.get(result.derivative) == served
        assert max(result.thumbnail.width, result.thumbnail.height) == 256
        for ref in (result.master, result.derivative, result.thumbnail):
            assert len(ports.artifacts.get(ref)) == ref.bytes
    # info.json was read once per service, and images were asked at the derivative size.
    assert sum(hit.endswith("/info.json") for hit in iiif_server.hits) == 20
    assert not any("/full/max/" in hit or "/full/full/" in hit for hit in iiif_server.hits)


async def test_transient_503_is_retried_honouring_retry_after(
    iiif_server: ServerState, ports: IngestPorts
) -> None:
    iiif_server.extra["retry_after"] = 1
    started = time.monotonic()
    _, results = await import_and_normalize(
        f"{iiif_server.base}/manifest.json?names=p01,flaky02,p03", ports
    )
    elapsed = time.monotonic() - started

    assert [type(r) for r in results] == [PageImageNormalized] * 3
    info_hits = [h for h in iiif_server.hits if h == "/iiif/3/flaky02/info.json"]
    assert len(info_hits) == 3  # 503, 503, 200
    assert elapsed >= 2.0  # two waits of the server's Retry-After: 1, not the 10 ms backoff
    assert (results[1].master.width, results[1].master.height) == master_size("flaky02")


async def test_missing_image_fails_only_its_page(
    iiif_server: ServerState, ports: IngestPorts
) -> None:
    _, results = await import_and_normalize(
        f"{iiif_server.base}/manifest.json?names=p01,missing02,p03", ports
    )
    assert isinstance(results[0], PageImageNormalized)
    assert isinstance(results[2], PageImageNormalized)
    failed = results[1]
    assert isinstance(failed, PageIngestFailed)
    assert (failed.step, failed.code, failed.retryable) == ("fetch", "fetch-failed", False)
    assert "HTTP 404" in failed.reason
    assert "/iiif/3/missing02/info.json" in failed.reason


@pytest.mark.parametrize(
    ("static", "step", "code", "words"),
    [
        ("bomb.png", "decode", "image-rejected", "too many pixels"),
        ("truncated.jpg", "decode", "image-rejected", "truncated or corrupt image/jpeg"),
        ("html.jpg", "decode", "image-rejected", "not an image: the body is an HTML page"),
        ("huge.jpg", "fetch", "fetch-too-large", "more than the 16777216-byte cap"),
    ],
)
async def test_bad_image_fails_its_page_and_the_others_complete(
    iiif_server: ServerState, ports: IngestPorts, static: str, step: str, code: str, words: str
) -> None:
    base = iiif_server.base
    images = [
        {"url": f"{base}/static/page.jpg"},
        {"url": f"{base}/static/{static}"},
        {"url": f"{base}/static/page.jpg?again"},
    ]
    emitted = await import_manuscript(
        ManuscriptImportRequested.model_validate(
            {
                "manuscript_id": uuid4(),
                "corpus_id": uuid4(),
                "job_id": uuid4(),
                "source": {"kind": "images", "images": images},
            }
        ),
        ports,
    )
    pages = [e for _, e in emitted if isinstance(e, PageRegistered)]
    results = [(await normalize_page_image(page, ports))[0][1] for page in pages]

    assert isinstance(results[0], PageImageNormalized)
    assert isinstance(results[2], PageImageNormalized)
    failed = results[1]
    assert isinstance(failed, PageIngestFailed)
    assert (failed.step, failed.code) == (step, code)
    assert words in failed.reason
    if static == "huge.jpg":
        # The download was abandoned at the cap: the server never got to send 200 MB.
        assert iiif_server.bytes_streamed < 100 << 20
