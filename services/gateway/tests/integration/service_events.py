"""Events other services append, written by tests the way ingest, analyzer and exporter would."""

from __future__ import annotations

import hashlib
from uuid import UUID, uuid4

from contracts import (
    ArtifactRef,
    ImageRef,
    ManuscriptExported,
    ManuscriptImported,
    Metadata,
    PageAnalysisFailed,
    PageAnalysisStarted,
    PageAnalyzed,
    PageExported,
    PageImageNormalized,
    PageRegistered,
    manuscript_stream,
    page_stream,
)
from infra.artifacts import FileArtifactStore
from infra.eventstore import PostgresEventStore, StreamAppend


def ref(text: str, media_type: str = "application/octet-stream") -> ArtifactRef:
    data = text.encode()
    return ArtifactRef(
        sha256=hashlib.sha256(data).hexdigest(), media_type=media_type, bytes=len(data)
    )


def image(name: str) -> ImageRef:
    base = ref(name, "image/jpeg")
    return ImageRef(**base.model_dump(), width=100, height=150)


async def import_pages(
    store: PostgresEventStore, corpus_id: UUID, manuscript_id: UUID, job_id: UUID, count: int
) -> list[UUID]:
    """What ingest appends: the manuscript imported, then its pages registered and normalised."""
    meta = Metadata(correlation_id=job_id, actor="ingest")
    pages = [uuid4() for _ in range(count)]
    await store.append(
        manuscript_stream(manuscript_id),
        [
            ManuscriptImported(
                manuscript_id=manuscript_id, corpus_id=corpus_id, label="Hours", page_count=count
            )
        ],
        metadata=meta,
    )
    await store.append_streams(
        [
            StreamAppend(
                page_stream(p),
                [
                    PageRegistered(
                        page_id=p,
                        manuscript_id=manuscript_id,
                        corpus_id=corpus_id,
                        job_id=job_id,
                        index=i,
                        label=f"f. {i + 1}r",
                    ),
                    PageImageNormalized(
                        page_id=p,
                        job_id=job_id,
                        master=image(f"m{p}"),
                        derivative=image(f"d{p}"),
                        thumbnail=image(f"t{p}"),
                    ),
                ],
            )
            for i, p in enumerate(pages)
        ],
        metadata=meta,
    )
    return pages


async def analyse(
    store: PostgresEventStore, job_id: UUID, page_id: UUID, *, fail: str | None = None
) -> None:
    """What the analyzer appends: started, then analysed or a final failure."""
    meta = Metadata(correlation_id=job_id, actor="analyzer")
    events: list[object] = [
        PageAnalysisStarted(page_id=page_id, job_id=job_id, engine="tesseract", attempt=1)
    ]
    if fail:
        events.append(
            PageAnalysisFailed(
                page_id=page_id,
                job_id=job_id,
                code="engine-failed",
                reason=fail,
                attempt=1,
                final=True,
            )
        )
    else:
        events.append(
            PageAnalyzed(
                page_id=page_id,
                job_id=job_id,
                analysis=ref(f"a{page_id}"),
                engine="tesseract",
                mean_confidence=0.9,
                duration_ms=5,
            )
        )
    await store.append(page_stream(page_id), events, metadata=meta)  # type: ignore[arg-type]


async def export(
    store: PostgresEventStore,
    job_id: UUID,
    page_id: UUID,
    artifacts: FileArtifactStore | None = None,
) -> dict[str, ArtifactRef]:
    """What the exporter appends for a page; writes the artifacts when given a store."""
    formats = {
        name: (
            artifacts.put(f"<{name} page='{page_id}'/>".encode(), "application/xml")
            if artifacts
            else ref(f"{name}{page_id}", "application/xml")
        )
        for name in (
            "alto",
            "page",
            "text",
            "annotations",
            "word-annotations",
            "hocr",
            # A stage's own files, as a plan with a translation stage gets them.
            "text/translation",
            "annotations/translation",
        )
    }
    await store.append(
        page_stream(page_id),
        [
            PageExported(
                page_id=page_id, job_id=job_id, analysis=ref(f"a{page_id}"), formats=formats
            )
        ],
        metadata=Metadata(correlation_id=job_id, actor="exporter"),
    )
    return formats


async def export_manuscript(
    store: PostgresEventStore,
    job_id: UUID,
    manuscript_id: UUID,
    artifacts: FileArtifactStore,
    exported: int,
    failed: int,
) -> dict[str, ArtifactRef]:
    formats = {
        "iiif-manifest": artifacts.put(b'{"type": "Manifest"}', "application/ld+json"),
        "mets": artifacts.put(b"<mets/>", "application/xml"),
        "bundle": artifacts.put(b"PK\x05\x06" + b"\x00" * 18, "application/zip"),
        "pdf": artifacts.put(b"%PDF-1.7\n%%EOF\n", "application/pdf"),
    }
    await store.append(
        manuscript_stream(manuscript_id),
        [
            ManuscriptExported(
                manuscript_id=manuscript_id,
                formats=formats,
                pages_exported=exported,
                pages_failed=failed,
            )
        ],
        metadata=Metadata(correlation_id=job_id, actor="exporter"),
    )
    return formats
