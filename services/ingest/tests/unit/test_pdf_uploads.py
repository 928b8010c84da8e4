"""PDF uploads: pages at their native resolution, and the bad-PDF catalogue, each refused with
its own reason while the rest of the upload still imports."""

from __future__ import annotations

import io
from uuid import uuid4

import pytest
from PIL import Image

from contracts import (
    ArtifactRef,
    ManuscriptImported,
    ManuscriptImportFailed,
    ManuscriptImportRequested,
    PageImageNormalized,
    PageIngestFailed,
    PageRegistered,
)
from infra.artifacts import InMemoryArtifactStore
from ingest.adapters.image_service import CachedImageInfo
from ingest.adapters.memory_fetcher import InMemoryFetcher
from ingest.application.import_manuscript import import_manuscript
from ingest.application.normalize_page_image import normalize_page_image
from ingest.application.ports import IngestPorts, IngestSettings

SIZES = [(1240, 1754), (1000, 1500), (1654, 2339)]


def ports(**settings: object) -> IngestPorts:
    fetcher = InMemoryFetcher({})
    return IngestPorts(
        fetcher, CachedImageInfo(fetcher), InMemoryArtifactStore(), IngestSettings(**settings)
    )


def upload(ports: IngestPorts, *files: tuple[str, bytes, str]) -> ManuscriptImportRequested:
    stored = [
        {
            "artifact": ArtifactRef.model_validate(
                ports.artifacts.put(data, media_type).model_dump()
            ).model_dump(),
            "filename": name,
        }
        for name, data, media_type in files
    ]
    return ManuscriptImportRequested.model_validate(
        {
            "manuscript_id": uuid4(),
            "corpus_id": uuid4(),
            "job_id": uuid4(),
            "source": {"kind": "uploads", "files": stored},
        }
    )


async def test_a_scanned_pdf_becomes_its_pages_at_their_native_resolution(pdfs) -> None:
    ingest = ports()
    emitted = await import_manuscript(
        upload(ingest, ("book.pdf", pdfs.scanned(SIZES), "application/pdf")), ingest
    )

    imported = emitted[0][1]
    assert isinstance(imported, ManuscriptImported)
    assert imported.page_count == 3
    pages = [event for _, event in emitted[1:]]
    assert all(isinstance(page, PageRegistered) for page in pages)
    assert [(p.index, p.upload_page, p.label) for p in pages] == [
        (0, 1, "book.pdf p. 1"),
        (1, 2, "book.pdf p. 2"),
        (2, 3, "book.pdf p. 3"),
    ]
    for page, size in zip(pages, SIZES, strict=True):
        ((_, normalized),) = await normalize_page_image(page, ingest)
        assert isinstance(normalized, PageImageNormalized), normalized
        assert (normalized.master.width, normalized.master.height) == size
        assert normalized.master.media_type == "image/png"
        assert normalized.resolution_dpi == pytest.approx(200, abs=0.5)
        with Image.open(io.BytesIO(ingest.artifacts.get(normalized.master))) as master:
            assert master.size == size
        with Image.open(io.BytesIO(ingest.artifacts.get(normalized.derivative))) as derivative:
            # The derivative carries the resolution too: Tesseract sizes text by it.
            assert derivative.info["dpi"][0] == pytest.approx(200, abs=0.5)


async def test_a_page_without_images_is_rendered_at_the_default_resolution() -> None:
    ingest = ports(pdf_default_dpi=150)
    import pikepdf

    with pikepdf.new() as blank:
        blank.add_blank_page(page_size=(595, 842))
        out = io.BytesIO()
        blank.save(out)
    emitted = await import_manuscript(
        upload(ingest, ("a4.pdf", out.getvalue(), "application/pdf")), ingest
    )
    page = emitted[1][1]
    assert isinstance(page, PageRegistered)
    ((_, normalized),) = await normalize_page_image(page, ingest)
    assert isinstance(normalized, PageImageNormalized)
    assert (normalized.master.width, normalized.master.height) == (1240, 1754)
    assert normalized.resolution_dpi == 150


@pytest.mark.parametrize(
    ("make", "code", "reason"),
    [
        (lambda f, pdf: f.encrypted(pdf), "pdf-encrypted", "needs a password"),
        (lambda f, pdf: f.encrypted(pdf, user_password=""), "pdf-encrypted", "owner restrictions"),
        (lambda f, pdf: pdf[: len(pdf) // 2], "pdf-unreadable", "not a readable PDF"),
        (lambda f, pdf: b"%PDF-1.7\n" + b"\x00" * 300, "pdf-unreadable", "not a readable PDF"),
        (lambda f, pdf: f.declaring_pages(pdf, 100_000), "pdf-too-large", "100,000 pages"),
        (lambda f, pdf: f.with_javascript(pdf), "pdf-active-content", "JavaScript"),
        (lambda f, pdf: f.with_attachment(pdf), "pdf-active-content", "1 embedded file"),
    ],
    ids=[
        "encrypted",
        "owner-encrypted",
        "truncated",
        "garbage",
        "100000-pages",
        "javascript",
        "attachment",
    ],
)
async def test_a_bad_pdf_alone_fails_the_import_with_its_reason(pdfs, make, code, reason) -> None:
    ingest = ports()
    bad = make(pdfs, pdfs.scanned(SIZES[:1]))
    (only,) = await import_manuscript(upload(ingest, ("bad.pdf", bad, "application/pdf")), ingest)
    failed = only[1]
    assert isinstance(failed, ManuscriptImportFailed)
    assert failed.code == code
    assert reason in failed.reason


async def test_a_bad_pdf_beside_good_files_is_skipped_and_they_import(pdfs, images) -> None:
    ingest = ports()
    good = pdfs.scanned(SIZES[:2])
    bad = pdfs.encrypted(good)
    event = upload(
        ingest,
        ("locked.pdf", bad, "application/pdf"),
        ("leaf.jpg", images.jpeg(300, 400), "image/jpeg"),
        ("book.pdf", good, "application/pdf"),
    )
    emitted = await import_manuscript(event, ingest)
    imported = emitted[0][1]
    assert isinstance(imported, ManuscriptImported)
    assert imported.page_count == 3
    (skipped,) = imported.skipped
    assert skipped.reason.startswith("locked.pdf: pdf-encrypted: ")
    assert [e.label for _, e in emitted[1:]] == ["leaf.jpg", "book.pdf p. 1", "book.pdf p. 2"]


async def test_scripts_and_attachments_can_be_ignored_by_setting(pdfs) -> None:
    ingest = ports(pdf_refuse_embedded=False)
    pdf = pdfs.with_attachment(pdfs.with_javascript(pdfs.scanned(SIZES[:1])))
    emitted = await import_manuscript(upload(ingest, ("x.pdf", pdf, "application/pdf")), ingest)
    imported = emitted[0][1]
    assert isinstance(imported, ManuscriptImported)
    assert imported.page_count == 1
    assert imported.notes == [
        "x.pdf: ignored, never run or opened: 1 JavaScript action(s)",
        "x.pdf: ignored, never run or opened: 1 embedded file(s)",
    ]


async def test_a_page_too_large_to_render_fails_alone(pdfs) -> None:
    ingest = ports()
    two = pdfs.scanned(SIZES[:2])
    huge = pdfs.with_page_size(two, 100_000, 100_000)
    emitted = await import_manuscript(upload(ingest, ("huge.pdf", huge, "application/pdf")), ingest)
    first, second = (event for _, event in emitted[1:])
    assert isinstance(first, PageRegistered)
    assert isinstance(second, PageRegistered)
    ((_, failed),) = await normalize_page_image(first, ingest)
    assert isinstance(failed, PageIngestFailed)
    assert (failed.step, failed.code) == ("decode", "pdf-too-large")
    assert "100000×100000 pt" in failed.reason
    ((_, fine),) = await normalize_page_image(second, ingest)
    assert isinstance(fine, PageImageNormalized)
    assert (fine.master.width, fine.master.height) == SIZES[1]
