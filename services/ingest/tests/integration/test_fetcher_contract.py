"""One contract, two fetchers: the httpx adapter and its in-memory twin behave alike."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from contracts.errors import FetchFailed, FetchRefused, FetchTooLarge
from infra.addresses import AddressPolicy
from ingest.adapters.http_fetcher import FetchSettings, HttpxFetcher
from ingest.adapters.memory_fetcher import InMemoryFetcher
from ingest.application.ports import Fetcher

from .conftest import ServerState, render_jpeg

pytestmark = pytest.mark.integration

LOOPBACK = AddressPolicy.from_allow_list("127.0.0.1")


@pytest.fixture(params=["httpx", "memory"])
async def fetcher(
    request: pytest.FixtureRequest, iiif_server: ServerState
) -> AsyncIterator[Fetcher]:
    if request.param == "memory":
        yield InMemoryFetcher(
            {f"{iiif_server.base}/static/page.jpg": render_jpeg(900, 1200, "page.jpg")}, LOOPBACK
        )
        return
    real = HttpxFetcher(LOOPBACK)
    yield real
    await real.aclose()


async def test_serves_the_body(fetcher: Fetcher, iiif_server: ServerState) -> None:
    fetched = await fetcher.get(f"{iiif_server.base}/static/page.jpg")
    assert fetched.body.startswith(b"\xff\xd8\xff")
    assert fetched.url == f"{iiif_server.base}/static/page.jpg"


async def test_missing_is_a_404_failure(fetcher: Fetcher, iiif_server: ServerState) -> None:
    with pytest.raises(FetchFailed) as failed:
        await fetcher.get(f"{iiif_server.base}/static/nothing-here.jpg")
    assert failed.value.status == 404
    assert not failed.value.retryable


async def test_cap_is_enforced(fetcher: Fetcher, iiif_server: ServerState) -> None:
    with pytest.raises(FetchTooLarge):
        await fetcher.get(f"{iiif_server.base}/static/page.jpg", max_bytes=1000)


@pytest.mark.parametrize(
    "url", ["file:///etc/hosts", "http://10.0.0.1/x", "http://169.254.169.254/", "http://[::1]/"]
)
async def test_forbidden_targets_are_refused(fetcher: Fetcher, url: str) -> None:
    with pytest.raises(FetchRefused):
        await fetcher.get(url)


async def test_a_stalled_attempt_meets_its_deadline(iiif_server: ServerState) -> None:
    fetcher = HttpxFetcher(
        LOOPBACK, FetchSettings(attempt_deadline=0.05, retries=1, backoff_base=0)
    )
    try:
        with pytest.raises(FetchFailed, match=r"TimeoutError .* after 2 attempts") as failed:
            await fetcher.get(f"{iiif_server.base}/slow")
    finally:
        await fetcher.aclose()
    assert failed.value.retryable
    assert iiif_server.hits == ["/slow", "/slow"]
