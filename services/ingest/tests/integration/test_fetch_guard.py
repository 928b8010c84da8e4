"""The SSRF guard and the fetcher's limits, against real servers on loopback.

Each refusal is proven by the target server's own request log staying empty.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path
from uuid import uuid4

import anyio
import pytest
from pydantic import ValidationError

from contracts import (
    ManuscriptImportFailed,
    ManuscriptImportRequested,
    PageIngestFailed,
    PageRegistered,
)
from contracts.errors import FetchRefused
from infra.addresses import AddressPolicy
from infra.artifacts import FileArtifactStore
from ingest.adapters.http_fetcher import FetchSettings, HttpxFetcher
from ingest.adapters.image_service import CachedImageInfo
from ingest.application.import_manuscript import import_manuscript
from ingest.application.normalize_page_image import normalize_page_image
from ingest.application.ports import IngestPorts

from .conftest import ServerState

pytestmark = pytest.mark.integration


async def ports_with(allow: str, tmp_path: Path, **settings: object) -> IngestPorts:
    fetcher = HttpxFetcher(AddressPolicy.from_allow_list(allow), FetchSettings(**settings))  # type: ignore[arg-type]
    return IngestPorts(fetcher, CachedImageInfo(fetcher), FileArtifactStore(tmp_path))


@pytest.fixture
async def guarded(tmp_path: Path) -> AsyncIterator[IngestPorts]:
    ports = await ports_with("", tmp_path)
    yield ports
    await ports.fetcher.aclose()  # type: ignore[attr-defined]


def import_of(url: str) -> ManuscriptImportRequested:
    return ManuscriptImportRequested.model_validate(
        {
            "manuscript_id": uuid4(),
            "corpus_id": uuid4(),
            "job_id": uuid4(),
            "source": {"kind": "iiif", "url": url},
        }
    )


async def test_loopback_manifest_is_refused_without_allow_list(
    iiif_server: ServerState, guarded: IngestPorts
) -> None:
    [(_, failed)] = await import_manuscript(import_of(f"{iiif_server.base}/manifest.json"), guarded)
    assert isinstance(failed, ManuscriptImportFailed)
    assert failed.code == "fetch-refused"
    assert "127.0.0.1, a loopback address (not allow-listed)" in failed.reason
    assert iiif_server.hits == []


async def test_metadata_address_is_refused_at_once(guarded: IngestPorts) -> None:
    started = time.monotonic()
    [(_, failed)] = await import_manuscript(
        import_of("http://169.254.169.254/latest/meta-data/iam/"), guarded
    )
    assert isinstance(failed, ManuscriptImportFailed)
    assert failed.code == "fetch-refused"
    assert "link-local" in failed.reason
    assert time.monotonic() - started < 0.5  # refused, not a connection that timed out


async def test_file_scheme_is_refused_by_contract_and_by_fetcher(guarded: IngestPorts) -> None:
    with pytest.raises(ValidationError):
        import_of("file:///etc/passwd")
    page = PageRegistered(
        page_id=uuid4(),
        manuscript_id=uuid4(),
        corpus_id=uuid4(),
        index=0,
        image_url="file:///etc/passwd",
    )
    [(_, failed)] = await normalize_page_image(page, guarded)
    assert isinstance(failed, PageIngestFailed)
    assert (failed.step, failed.code) == ("fetch", "fetch-refused")
    assert "scheme 'file' is not allowed" in failed.reason


async def test_redirect_to_a_private_address_is_refused_before_it_is_followed(
    iiif_server: ServerState, private_server: ServerState, tmp_path: Path
) -> None:
    ports = await ports_with("127.0.0.1", tmp_path)  # the public face is allowed, not .2
    target = f"{private_server.base}/manifest.json"
    try:
        [(_, failed)] = await import_manuscript(
            import_of(f"{iiif_server.base}/redirect?to={target}"), ports
        )
    finally:
        await ports.fetcher.aclose()  # type: ignore[attr-defined]
    assert isinstance(failed, ManuscriptImportFailed)
    assert failed.code == "fetch-refused"
    assert "127.0.0.2, a loopback address" in failed.reason
    assert iiif_server.hits == [f"/redirect?to={target}"]
    assert private_server.hits == []


async def test_allowed_redirect_is_followed(iiif_server: ServerState, tmp_path: Path) -> None:
    fetcher = HttpxFetcher(AddressPolicy.from_allow_list("127.0.0.1"))
    try:
        fetched = await fetcher.get(f"{iiif_server.base}/redirect?to=/static/page.jpg")
    finally:
        await fetcher.aclose()
    assert fetched.url == f"{iiif_server.base}/static/page.jpg"
    assert fetched.body.startswith(b"\xff\xd8\xff")


async def test_redirect_to_file_scheme_is_refused(iiif_server: ServerState) -> None:
    fetcher = HttpxFetcher(AddressPolicy.from_allow_list("127.0.0.1"))
    try:
        with pytest.raises(FetchRefused, match="scheme 'file'"):
            await fetcher.get(f"{iiif_server.base}/redirect?to=file:///etc/passwd")
    finally:
        await fetcher.aclose()


async def test_requests_per_host_are_bounded(iiif_server: ServerState) -> None:
    fetcher = HttpxFetcher(AddressPolicy.from_allow_list("127.0.0.1"), FetchSettings(per_host=2))
    try:
        async with anyio.create_task_group() as group:
            for n in range(8):
                group.start_soon(fetcher.get, f"{iiif_server.base}/slow?{n}")
    finally:
        await fetcher.aclose()
    assert len(iiif_server.hits) == 8
    assert iiif_server.max_in_flight == 2


async def test_host_names_are_resolved_and_checked_before_connecting(
    iiif_server: ServerState,
) -> None:
    url = f"http://localhost:{iiif_server.port}/static/page.jpg"
    refusing = HttpxFetcher(AddressPolicy())
    allowing = HttpxFetcher(AddressPolicy.from_allow_list("localhost"))
    try:
        with pytest.raises(FetchRefused, match="localhost resolves to"):
            await refusing.get(url)
        assert iiif_server.hits == []
        fetched = await allowing.get(url)
    finally:
        await refusing.aclose()
        await allowing.aclose()
    assert fetched.body.startswith(b"\xff\xd8\xff")
    assert iiif_server.hits == ["/static/page.jpg"]
