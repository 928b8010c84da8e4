"""Collections walked within one import's limits: cycles, depth, documents, pages."""

from __future__ import annotations

import json
from typing import Any
from uuid import uuid4

import pytest

from contracts import (
    JobCancelled,
    ManuscriptImported,
    ManuscriptImportFailed,
    ManuscriptImportRequested,
    Metadata,
    PageRegistered,
    job_stream,
    manuscript_stream,
)
from infra.artifacts import InMemoryArtifactStore
from infra.eventstore import InMemoryEventStore, StreamAppend
from ingest.adapters.image_service import CachedImageInfo
from ingest.adapters.memory_fetcher import InMemoryFetcher
from ingest.application.import_manuscript import import_manuscript
from ingest.application.ports import ImportLimits, IngestPorts, IngestSettings

SITE = "https://iiif.example.org"


def collection(name: str, *members: tuple[str, str]) -> bytes:
    return json.dumps(
        {
            "@context": "http://iiif.io/api/presentation/3/context.json",
            "id": f"{SITE}/{name}",
            "type": "Collection",
            "label": {"en": [name]},
            "items": [
                {"id": m if "://" in m else f"{SITE}/{m}", "type": kind} for m, kind in members
            ],
        }
    ).encode()


def manifest(name: str, pages: int) -> bytes:
    def canvas(n: int) -> dict[str, Any]:
        target = f"{SITE}/{name}/canvas/{n}"
        body = {"id": f"{SITE}/img/{name}-{n}.jpg", "type": "Image", "format": "image/jpeg"}
        annotation = {
            "id": f"{target}/a",
            "type": "Annotation",
            "motivation": "painting",
            "target": target,
            "body": body,
        }
        page = {"id": f"{target}/p", "type": "AnnotationPage", "items": [annotation]}
        return {"id": target, "type": "Canvas", "width": 10, "height": 10, "items": [page]}

    return json.dumps(
        {
            "@context": "http://iiif.io/api/presentation/3/context.json",
            "id": f"{SITE}/{name}",
            "type": "Manifest",
            "label": {"en": [name]},
            "items": [canvas(n) for n in range(pages)],
        }
    ).encode()


def ports(
    routes: dict[str, bytes], store: InMemoryEventStore | None = None, **limits: int
) -> IngestPorts:
    fetcher = InMemoryFetcher({f"{SITE}/{path}": body for path, body in routes.items()})
    return IngestPorts(
        fetcher,
        CachedImageInfo(fetcher),
        InMemoryArtifactStore(),
        IngestSettings(limits=ImportLimits(**limits)),
        store or InMemoryEventStore(),
    )


def request_of(path: str) -> ManuscriptImportRequested:
    return ManuscriptImportRequested.model_validate(
        {
            "manuscript_id": uuid4(),
            "corpus_id": uuid4(),
            "job_id": uuid4(),
            "source": {"kind": "iiif", "url": f"{SITE}/{path}"},
        }
    )


def fetched(port: IngestPorts) -> list[str]:
    assert isinstance(port.fetcher, InMemoryFetcher)
    return [url.removeprefix(f"{SITE}/") for url in port.fetcher.requested]


async def test_a_collection_listing_itself_fails_after_one_fetch() -> None:
    port = ports({"c.json": collection("c.json", ("c.json", "Collection"), ("m.json", "Manifest"))})
    emitted = await import_manuscript(request_of("c.json"), port)

    [(_, failure)] = emitted
    assert isinstance(failure, ManuscriptImportFailed)
    assert failure.code == "collection-cycle"
    assert failure.reason == (
        f"collection cycle: {SITE}/c.json lists {SITE}/c.json, which is itself"
    )
    assert fetched(port) == ["c.json"]


async def test_a_two_collection_cycle_fails_naming_the_ancestor() -> None:
    # B refers to A with another case, an explicit default port and a fragment.
    port = ports(
        {
            "a.json": collection("a.json", ("b.json", "Collection")),
            "b.json": collection(
                "b.json",
                ("m.json", "Manifest"),
                ("HTTPS://IIIF.example.org:443/a.json#top", "Collection"),
            ),
            "m.json": manifest("m.json", 2),
        }
    )
    emitted = await import_manuscript(request_of("a.json"), port)

    [(_, failure)] = emitted
    assert isinstance(failure, ManuscriptImportFailed)
    assert failure.code == "collection-cycle"
    assert failure.reason == (
        f"collection cycle: {SITE}/b.json lists HTTPS://IIIF.example.org:443/a.json#top, "
        f"which is an ancestor ({SITE}/a.json)"
    )
    assert fetched(port) == ["a.json", "b.json"]  # the cycle was refused before any refetch


async def test_a_shared_member_is_imported_once_and_noted() -> None:
    port = ports(
        {
            "top.json": collection("top.json", ("x.json", "Collection"), ("y.json", "Collection")),
            "x.json": collection("x.json", ("m.json", "Manifest")),
            "y.json": collection("y.json", ("m.json", "Manifest"), ("n.json", "Manifest")),
            "m.json": manifest("m.json", 2),
            "n.json": manifest("n.json", 3),
        }
    )
    emitted = await import_manuscript(request_of("top.json"), port)

    pages = [e for _, e in emitted if isinstance(e, PageRegistered)]
    assert len(pages) == 5
    imported = [e for _, e in emitted if isinstance(e, ManuscriptImported)]
    assert [i.page_count for i in imported] == [0, 0, 2, 0, 3]
    assert f"member already imported elsewhere in this import: {SITE}/m.json" in imported[3].notes
    assert sorted(fetched(port)) == sorted(["top.json", "x.json", "y.json", "m.json", "n.json"])
    # Each manuscript's stream holds its request, then its outcome.
    requests = [(s, e) for s, e in emitted if isinstance(e, ManuscriptImportRequested)]
    assert len(requests) == 4
    for stream, member in requests:
        outcome = next(e for s, e in emitted if s == stream and isinstance(e, ManuscriptImported))
        assert outcome.manuscript_id == member.manuscript_id


async def test_collections_nested_past_the_depth_limit_fail_the_import() -> None:
    routes = {
        f"c{n}.json": collection(f"c{n}.json", (f"c{n + 1}.json", "Collection")) for n in range(5)
    }
    routes["c5.json"] = collection("c5.json", ("m.json", "Manifest"))
    routes["m.json"] = manifest("m.json", 1)
    port = ports(routes, max_depth=2)
    emitted = await import_manuscript(request_of("c0.json"), port)

    [(_, failure)] = emitted
    assert isinstance(failure, ManuscriptImportFailed)
    assert failure.code == "collection-too-deep"
    assert failure.reason == (
        f"collection too deep: {SITE}/c3.json is nested 3 levels below {SITE}/c0.json; "
        "at most 2 (RECTO_IMPORT_MAX_DEPTH)"
    )
    assert fetched(port) == ["c0.json", "c1.json", "c2.json", "c3.json"]


async def test_more_documents_than_an_import_may_fetch_fail_before_fetching_them() -> None:
    members = [(f"m{n}.json", "Manifest") for n in range(5)]
    routes = {"c.json": collection("c.json", *members)}
    port = ports(routes, max_documents=5)
    emitted = await import_manuscript(request_of("c.json"), port)

    [(_, failure)] = emitted
    assert isinstance(failure, ManuscriptImportFailed)
    assert failure.code == "import-too-large"
    assert "lists 5 more documents after 1 fetched" in failure.reason
    assert "at most 5 manifests and collections" in failure.reason
    assert fetched(port) == ["c.json"]


@pytest.mark.parametrize(("limit", "refused"), [(6, False), (5, True)])
async def test_more_pages_than_an_import_may_register_fail_the_whole_import(
    limit: int, refused: bool
) -> None:
    routes = {
        "c.json": collection("c.json", ("m.json", "Manifest"), ("n.json", "Manifest")),
        "m.json": manifest("m.json", 3),
        "n.json": manifest("n.json", 3),
    }
    emitted = await import_manuscript(request_of("c.json"), ports(routes, max_pages=limit))

    if not refused:
        assert len([e for _, e in emitted if isinstance(e, PageRegistered)]) == 6
        return
    [(_, failure)] = emitted
    assert isinstance(failure, ManuscriptImportFailed)
    assert failure.code == "import-too-large"
    assert failure.reason == (
        f"import too large: {SITE}/n.json has 3 pages after 3 already registered; "
        "one import may register at most 5 (RECTO_IMPORT_MAX_PAGES)"
    )


async def test_a_single_manifest_over_the_page_limit_fails() -> None:
    port = ports({"m.json": manifest("m.json", 4)}, max_pages=3)
    [(_, failure)] = await import_manuscript(request_of("m.json"), port)
    assert isinstance(failure, ManuscriptImportFailed)
    assert failure.code == "import-too-large"


async def test_a_member_request_whose_outcome_is_recorded_is_left_alone() -> None:
    store = InMemoryEventStore()
    routes = {
        "c.json": collection("c.json", ("m.json", "Manifest")),
        "m.json": manifest("m.json", 1),
    }
    port = ports(routes, store)
    emitted = await import_manuscript(request_of("c.json"), port)
    await store.append_streams([StreamAppend(s, [e]) for s, e in emitted])
    [member] = [e for _, e in emitted[1:] if isinstance(e, ManuscriptImportRequested)]

    # The member's request comes back on the bus: its stream already says how it went.
    assert await import_manuscript(member, port) == []
    assert fetched(port) == ["c.json", "m.json"]


async def test_an_import_of_a_cancelled_job_is_not_fetched() -> None:
    store = InMemoryEventStore()
    request = request_of("m.json")
    await store.append(
        job_stream(request.job_id),
        [JobCancelled(job_id=request.job_id)],
        metadata=Metadata(correlation_id=request.job_id),
    )
    port = ports({"m.json": manifest("m.json", 1)}, store)
    [(stream, failure)] = await import_manuscript(request, port)
    assert stream == manuscript_stream(request.manuscript_id)
    assert isinstance(failure, ManuscriptImportFailed)
    assert failure.code == "job-cancelled"
    assert fetched(port) == []
