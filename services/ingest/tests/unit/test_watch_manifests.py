"""The watch sweep with its in-memory twins: what it registers, skips, and survives."""

from __future__ import annotations

import json
import logging
from uuid import uuid4

import pytest

from contracts import PageRegistered
from infra.eventstore import InMemoryEventStore
from ingest.adapters.memory_fetcher import InMemoryFetcher
from ingest.adapters.memory_watched_manifests import InMemoryWatchedManifests
from ingest.application.watch_manifests import WatchPorts, sweep
from ingest.application.watch_ports import WatchSettings
from ingest.domain.page_ids import page_id
from ingest.domain.watch import WatchedManifest

BASE = "https://iiif.example.org"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def manifest(canvases: list[str]) -> bytes:
    items = [
        {
            "id": f"{BASE}/canvas/{name}",
            "type": "Canvas",
            "width": 1000,
            "height": 1500,
            "items": [
                {
                    "id": f"{BASE}/canvas/{name}/page",
                    "type": "AnnotationPage",
                    "items": [
                        {
                            "id": f"{BASE}/canvas/{name}/anno",
                            "type": "Annotation",
                            "motivation": "painting",
                            "target": f"{BASE}/canvas/{name}",
                            "body": {
                                "id": f"{BASE}/images/{name}.jpg",
                                "type": "Image",
                                "format": "image/jpeg",
                            },
                        }
                    ],
                }
            ],
        }
        for name in canvases
    ]
    document = {
        "@context": "http://iiif.io/api/presentation/3/context.json",
        "id": f"{BASE}/manifest.json",
        "type": "Manifest",
        "label": {"en": ["Watched"]},
        "items": items,
    }
    return json.dumps(document).encode()


def watched(url: str, canvases: list[str]) -> WatchedManifest:
    return WatchedManifest(
        manuscript_id=uuid4(),
        corpus_id=uuid4(),
        job_id=uuid4(),
        url=url,
        interval_seconds=300,
        canvas_ids=frozenset(f"{BASE}/canvas/{name}" for name in canvases),
        next_index=len(canvases),
    )


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


World = tuple[WatchPorts, InMemoryWatchedManifests, InMemoryFetcher]


@pytest.fixture
def world(clock: FakeClock) -> World:
    manifests = InMemoryWatchedManifests(clock)
    fetcher = InMemoryFetcher()
    settings = WatchSettings(min_interval_seconds=60)
    return WatchPorts(manifests, fetcher, InMemoryEventStore(), settings), manifests, fetcher


async def registered(ports: WatchPorts) -> list[PageRegistered]:
    events = await ports.store.read_all(types=["page.registered"])
    return [e.data for e in events if isinstance(e.data, PageRegistered)]


async def test_registers_only_the_new_canvases_with_continuing_indexes(
    world: World, clock: FakeClock
) -> None:
    ports, manifests, fetcher = world
    url = f"{BASE}/a.json"
    # The first import registered a and b; the manifest now also has x (inserted) and c.
    book = watched(url, ["a", "b"])
    manifests.watch(book)
    fetcher.routes[url] = manifest(["x", "a", "b", "c"])

    report = await sweep(ports)

    pages = await registered(ports)
    assert [(p.canvas_id, p.index) for p in pages] == [
        (f"{BASE}/canvas/x", 2),
        (f"{BASE}/canvas/c", 3),
    ]
    assert [p.page_id for p in pages] == [
        page_id(book.manuscript_id, f"{BASE}/canvas/x", 2),
        page_id(book.manuscript_id, f"{BASE}/canvas/c", 3),
    ]
    assert {p.job_id for p in pages} == {book.job_id}
    assert (report.checked, report.pages_registered, report.failed) == (1, 2, 0)
    row = manifests.rows[book.manuscript_id]
    assert row.manifest.next_index == 4
    assert row.next_check_at == clock.now + 300  # its own interval, above the minimum

    # The next turn sends the ETag back and is answered 304: nothing more is appended.
    clock.now += 300
    report = await sweep(ports)
    assert fetcher.request_headers[-1]["if-none-match"] == row.manifest.etag
    assert (report.not_modified, report.pages_registered) == (1, 0)
    assert len(await registered(ports)) == 2


async def test_nothing_is_checked_before_its_time(world: World, clock: FakeClock) -> None:
    ports, manifests, fetcher = world
    manifests.watch(watched(f"{BASE}/a.json", ["a"]), due_in=60)
    report = await sweep(ports)
    assert report.checked == 0
    assert fetcher.requested == []


async def test_a_short_interval_is_raised_to_the_minimum(world: World, clock: FakeClock) -> None:
    ports, manifests, fetcher = world
    url = f"{BASE}/a.json"
    book = WatchedManifest(uuid4(), uuid4(), uuid4(), url, interval_seconds=5)
    manifests.watch(book)
    fetcher.routes[url] = manifest(["a"])
    await sweep(ports)
    assert manifests.rows[book.manuscript_id].next_check_at == clock.now + 60


async def test_a_failing_manifest_is_recorded_and_the_others_still_processed(
    world: World, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    ports, manifests, fetcher = world
    broken, healthy, collection = f"{BASE}/broken.json", f"{BASE}/ok.json", f"{BASE}/coll.json"
    for url in (broken, healthy, collection):
        manifests.watch(watched(url, ["a"]))
    fetcher.routes[broken] = b"{not json"
    fetcher.routes[healthy] = manifest(["a", "b"])
    fetcher.routes[collection] = json.dumps(
        {
            "@context": "http://iiif.io/api/presentation/3/context.json",
            "id": collection,
            "type": "Collection",
            "items": [{"id": f"{BASE}/m1.json", "type": "Manifest"}],
        }
    ).encode()

    with caplog.at_level(logging.WARNING):
        report = await sweep(ports)

    assert (report.checked, report.failed, report.pages_registered) == (3, 2, 1)
    errors = {row.manifest.url: row.last_error for row in manifests.rows.values()}
    assert errors[healthy] is None
    assert (errors[broken] or "").startswith("manifest-not-iiif: not JSON")
    assert "now a collection" in (errors[collection] or "")
    reasons = {getattr(r, "url", None): getattr(r, "reason", None) for r in caplog.records}
    assert reasons[broken] == errors[broken]
    # Failures are retried at their next turn, like any other manifest.
    assert all(row.next_check_at == clock.now + 300 for row in manifests.rows.values())


async def test_an_http_error_is_a_failure_with_its_status(world: World) -> None:
    ports, manifests, fetcher = world
    url = f"{BASE}/gone.json"
    book = watched(url, ["a"])
    manifests.watch(book)
    fetcher.routes[url] = 500
    report = await sweep(ports)
    assert report.failed == 1
    assert manifests.rows[book.manuscript_id].last_error == f"fetch-failed: HTTP 500 from {url}"


async def test_pages_already_registered_are_never_appended_twice(
    world: World, clock: FakeClock
) -> None:
    ports, manifests, fetcher = world
    url = f"{BASE}/a.json"
    book = watched(url, ["a"])
    fetcher.routes[url] = manifest(["a", "b"])
    manifests.watch(book)
    await sweep(ports)
    # As if the reading were lost after the append: the same page is computed again.
    manifests.watch(book)
    report = await sweep(ports)
    assert report.failed == 1
    assert (manifests.rows[book.manuscript_id].last_error or "").startswith(
        "wrong-expected-version"
    )
    assert len(await registered(ports)) == 1


def test_conditional_headers_carry_what_the_server_said() -> None:
    book = watched(f"{BASE}/a.json", [])
    assert book.conditional_headers() == {}
    with_validators = WatchedManifest(
        uuid4(), uuid4(), uuid4(), book.url, 60, etag='W/"7"', last_modified="Mon, 23 Nov 2026"
    )
    assert with_validators.conditional_headers() == {
        "If-None-Match": 'W/"7"',
        "If-Modified-Since": "Mon, 23 Nov 2026",
    }
