"""`import_manuscript` over real corpus manifests, served by the in-memory fetcher."""

from __future__ import annotations

import json
from pathlib import Path
from uuid import UUID, uuid4

import pytest

from contracts import (
    ArtifactRef,
    IiifSource,
    ManuscriptImported,
    ManuscriptImportFailed,
    ManuscriptImportRequested,
    PageRegistered,
    manuscript_stream,
    page_stream,
)
from infra.artifacts import InMemoryArtifactStore
from ingest.adapters.image_service import CachedImageInfo
from ingest.adapters.memory_fetcher import InMemoryFetcher
from ingest.application.import_manuscript import import_manuscript
from ingest.application.ports import IngestPorts

MANIFEST_URL = "https://iiif.example.org/manifest.json"


def request(
    source: dict[str, object], manuscript_id: UUID | None = None
) -> ManuscriptImportRequested:
    return ManuscriptImportRequested.model_validate(
        {
            "manuscript_id": manuscript_id or uuid4(),
            "corpus_id": uuid4(),
            "job_id": uuid4(),
            "source": source,
        }
    )


def ports_serving(body: bytes | int) -> IngestPorts:
    fetcher = InMemoryFetcher({MANIFEST_URL: body})
    return IngestPorts(fetcher, CachedImageInfo(fetcher), InMemoryArtifactStore())


async def test_manifest_registers_every_image_canvas(corpora: Path) -> None:
    body = (corpora / "iiif/v2/mirador-emptyCanvas.json").read_bytes()
    event = request({"kind": "iiif", "url": MANIFEST_URL})
    emitted = await import_manuscript(event, ports_serving(body))

    stream, imported = emitted[0]
    assert stream == manuscript_stream(event.manuscript_id)
    assert isinstance(imported, ManuscriptImported)
    assert imported.page_count == 238
    assert len(imported.skipped) == 84
    assert {s.reason for s in imported.skipped} == {"no image"}
    assert imported.structure  # ranges kept
    pages = [e for _, e in emitted[1:]]
    assert all(isinstance(p, PageRegistered) for p in pages)
    assert len(pages) == 238
    assert [p.index for p in pages] == list(range(238))
    assert len({p.page_id for p in pages}) == 238
    assert all(s == page_stream(p.page_id) for (s, p) in emitted[1:])
    assert all(p.canvas_id and p.image_service for p in pages)
    assert {p.image_service_profile for p in pages} == {
        "http://library.stanford.edu/iiif/image-api/1.1/compliance.html#level2",
        "http://library.stanford.edu/iiif/image-api/compliance.html#level1",
    }
    assert {p.job_id for p in pages} == {event.job_id}


async def test_page_ids_are_stable_and_independent_of_labels(corpora: Path) -> None:
    body = (corpora / "iiif/v2/manifesto-wellcomeapocalypse.json").read_bytes()
    manuscript_id = uuid4()
    first = await import_manuscript(
        request({"kind": "iiif", "url": MANIFEST_URL}, manuscript_id), ports_serving(body)
    )
    again = await import_manuscript(
        request({"kind": "iiif", "url": MANIFEST_URL}, manuscript_id), ports_serving(body)
    )
    pages = [e for _, e in first if isinstance(e, PageRegistered)]
    assert [p.page_id for p in pages] == [
        e.page_id for _, e in again if isinstance(e, PageRegistered)
    ]
    labels = [p.label for p in pages]
    assert len(set(labels)) < len(labels)  # " - " repeats, ids do not
    assert len({p.page_id for p in pages}) == len(pages)


async def test_collection_records_each_member_with_its_request_and_outcome(
    corpora: Path,
) -> None:
    body = (corpora / "iiif/v2/mirador-collection.json").read_bytes()
    event = request({"kind": "iiif", "url": MANIFEST_URL})
    emitted = await import_manuscript(event, ports_serving(body))

    _, imported = emitted[0]
    assert isinstance(imported, ManuscriptImported)
    assert imported.page_count == 0
    assert len(imported.members) == len(imported.structure) == 55
    # Every member is fetched by the collection's import: here none is served, so each one
    # is recorded as requested, then failed, in its own stream.
    requests = [(s, e) for s, e in emitted if isinstance(e, ManuscriptImportRequested)]
    failures = [(s, e) for s, e in emitted if isinstance(e, ManuscriptImportFailed)]
    assert len({r.manuscript_id for _, r in requests}) == 55
    assert {(r.corpus_id, r.job_id) for _, r in requests} == {(event.corpus_id, event.job_id)}
    assert [str(r.source.url) for _, r in requests] == imported.members
    assert [s for s, _ in requests] == [manuscript_stream(r.manuscript_id) for _, r in requests]
    assert [s for s, _ in failures] == [s for s, _ in requests]
    assert {f.code for _, f in failures} == {"fetch-failed"}


@pytest.mark.parametrize(
    ("file", "code", "words"),
    [
        ("v2/mirador-broken.json", "manifest-not-iiif", "keys: test"),
        ("v3/cookbook-0002-mvm-audio.json", "manifest-without-images", "non-image canvas (Sound)"),
        ("v3/mirador-with_a_provider.json", "manifest-without-images", "no canvases"),
    ],
)
async def test_unusable_manifest_fails_the_import(
    corpora: Path, file: str, code: str, words: str
) -> None:
    emitted = await import_manuscript(
        request({"kind": "iiif", "url": MANIFEST_URL}),
        ports_serving((corpora / "iiif" / file).read_bytes()),
    )
    assert len(emitted) == 1
    failed = emitted[0][1]
    assert isinstance(failed, ManuscriptImportFailed)
    assert failed.code == code
    assert words in failed.reason


async def test_unreachable_manifest_fails_with_the_fetch_reason() -> None:
    emitted = await import_manuscript(
        request({"kind": "iiif", "url": MANIFEST_URL}), ports_serving(503)
    )
    failed = emitted[0][1]
    assert isinstance(failed, ManuscriptImportFailed)
    assert (failed.code, failed.reason) == ("fetch-failed", f"HTTP 503 from {MANIFEST_URL}")


async def test_image_list_registers_one_page_per_url() -> None:
    images = [{"url": f"https://img.example.org/{n}.jpg", "label": "NP"} for n in range(3)]
    emitted = await import_manuscript(
        request({"kind": "images", "images": images, "label": "Loose leaves"}), ports_serving(404)
    )
    imported, *pages = [e for _, e in emitted]
    assert isinstance(imported, ManuscriptImported)
    assert (imported.label, imported.page_count, imported.iiif_version) == ("Loose leaves", 3, None)
    assert [p.image_url for p in pages] == [i["url"] for i in images]
    assert len({p.page_id for p in pages}) == 3


async def test_uploads_register_pages_that_carry_their_artifact() -> None:
    ref = ArtifactRef(sha256="a" * 64, media_type="image/jpeg", bytes=10)
    files = [
        {"artifact": ref.model_dump(), "filename": "f1.jpg"},
        {"artifact": ref.model_dump(), "filename": "f2.jpg"},
    ]
    emitted = await import_manuscript(
        request({"kind": "uploads", "files": files}), ports_serving(404)
    )
    pages = [e for _, e in emitted if isinstance(e, PageRegistered)]
    assert [(p.label, p.upload) for p in pages] == [("f1.jpg", ref), ("f2.jpg", ref)]
    assert pages[0].page_id != pages[1].page_id


async def test_choice_imports_the_default_and_notes_the_alternatives(corpora: Path) -> None:
    body = (corpora / "iiif/v3/cookbook-0033-choice.json").read_bytes()
    emitted = await import_manuscript(
        request({"kind": "iiif", "url": MANIFEST_URL}), ports_serving(body)
    )
    imported, page = emitted[0][1], emitted[1][1]
    assert isinstance(imported, ManuscriptImported)
    assert isinstance(page, PageRegistered)
    assert page.image_service is not None
    assert page.image_service.endswith("-dee-natural")
    # The service's level as the source declared it, for the exported manifest to keep.
    assert page.image_service_profile == "level1"
    [note] = imported.notes
    assert "1 alternative(s) kept aside: X-Ray" in note


async def test_collection_member_without_http_url_is_noted_not_requested() -> None:
    collection = {
        "@context": "http://iiif.io/api/presentation/3/context.json",
        "id": MANIFEST_URL,
        "type": "Collection",
        "label": {"en": ["Mixed"]},
        "items": [
            {"id": "https://iiif.example.org/a.json", "type": "Manifest"},
            {"id": "urn:uuid:1234", "type": "Manifest"},
        ],
    }
    emitted = await import_manuscript(
        request({"kind": "iiif", "url": MANIFEST_URL}),
        ports_serving(json.dumps(collection).encode()),
    )
    imported = emitted[0][1]
    assert isinstance(imported, ManuscriptImported)
    assert imported.members == ["https://iiif.example.org/a.json"]
    assert "member skipped, not an http(s) URL: urn:uuid:1234" in imported.notes
    assert [type(e) for _, e in emitted[1:]] == [ManuscriptImportRequested, ManuscriptImportFailed]


async def test_a_watched_collection_passes_its_interval_to_every_member() -> None:
    collection = {
        "@context": "http://iiif.io/api/presentation/3/context.json",
        "id": MANIFEST_URL,
        "type": "Collection",
        "items": [
            {"id": "https://iiif.example.org/a.json", "type": "Manifest"},
            {"id": "https://iiif.example.org/b.json", "type": "Manifest"},
        ],
    }
    emitted = await import_manuscript(
        request({"kind": "iiif", "url": MANIFEST_URL, "watch_interval_seconds": 3600}),
        ports_serving(json.dumps(collection).encode()),
    )
    members = [e for _, e in emitted if isinstance(e, ManuscriptImportRequested)]
    assert len(members) == 2
    assert all(isinstance(m.source, IiifSource) for m in members)
    assert {m.source.watch_interval_seconds for m in members} == {3600}  # type: ignore[union-attr]
