"""A small, fixed manuscript and analysis shared by the exporter's tests."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID, uuid4

import pytest

from contracts import (
    Box,
    EngineInfo,
    Event,
    ImageRef,
    JobCreated,
    Line,
    ManuscriptImported,
    Metadata,
    MetadataEntry,
    PageAnalysis,
    PageAnalyzed,
    PageImage,
    PageImageNormalized,
    PageRegistered,
    Plan,
    Range,
    Region,
    RegionType,
    Word,
    job_stream,
    manuscript_stream,
    page_stream,
)
from exporter.domain.manuscript import Manuscript, ManuscriptPage
from infra.artifacts import ArtifactStore, InMemoryArtifactStore
from infra.eventstore import EventStore, InMemoryEventStore, StreamAppend

MANUSCRIPT_ID = UUID("00000000-0000-4000-8000-000000000001")
CORPUS_ID = UUID("00000000-0000-4000-8000-000000000002")
BASE_URL = "https://recto.example/api"


def page_id(index: int) -> UUID:
    return UUID(int=0x1000 + index)


@pytest.fixture
def analysis() -> PageAnalysis:
    """Two text blocks out of document order, a picture, words with confidences, a combining
    mark (e + U+0301) and a control character XML 1.0 cannot carry (U+0007)."""
    heading = Line(
        id="l1",
        text="Livre d'heures",
        bbox=Box(x=100, y=80, width=600, height=60),
        baseline=[(100, 130), (700, 132)],
        confidence=0.91,
        words=[
            Word(
                id="w1", text="Livre", bbox=Box(x=100, y=80, width=200, height=60), confidence=0.95
            ),
            Word(
                id="w2",
                text="d'heures",
                bbox=Box(x=320, y=80, width=380, height=60),
                confidence=0.87,
            ),
        ],
    )
    body = Line(
        id="l2",
        text="Cafe\u0301 \u0007au lait.",
        bbox=Box(x=100, y=300, width=800, height=50),
        polygon=[(100, 300), (900, 300), (900, 350), (100, 350)],
        baseline=[(100, 340), (900, 342)],
        language="fr",
    )
    return PageAnalysis(
        page_id=str(page_id(0)),
        image=PageImage(width=2000, height=3000, uri="folio-1r.jpg"),
        regions=[
            Region(
                id="body",
                type=RegionType.TEXT,
                bbox=Box(x=90, y=290, width=820, height=70),
                polygon=[(90, 290), (910, 290), (910, 360), (90, 360)],
                language="fr",
                lines=[body],
            ),
            Region(
                id="title",
                type=RegionType.HEADING,
                bbox=Box(x=90, y=70, width=620, height=80),
                lines=[heading],
            ),
            Region(
                id="miniature",
                type=RegionType.ILLUSTRATION,
                bbox=Box(x=1000, y=400, width=800, height=900),
            ),
        ],
        reading_order=["title", "body", "miniature"],
        languages=["fr"],
        engine=EngineInfo(name="tesseract", version="5.5.0", model="fra", parameters={"psm": 3}),
        created_at=datetime(2024, 5, 17, 9, 30, tzinfo=UTC),
    )


def registration(index: int, **overrides: object) -> PageRegistered:
    fields: dict[str, object] = {
        "page_id": page_id(index),
        "manuscript_id": MANUSCRIPT_ID,
        "corpus_id": CORPUS_ID,
        "index": index,
        "label": f"f. {index + 1}r",
        "canvas_id": f"https://library.example/iiif/ms1/canvas/{index + 1}",
        "canvas_width": 1000,
        "canvas_height": 1500,
        "image_url": f"https://library.example/iiif/ms1/{index + 1}/full/max/0/default.jpg",
        "image_service": f"https://library.example/iiif/ms1/{index + 1}",
        "image_service_version": 2,
    }
    fields.update(overrides)
    return PageRegistered.model_validate(fields)


@pytest.fixture
def manuscript(analysis: PageAnalysis) -> Manuscript:
    imported = ManuscriptImported(
        manuscript_id=MANUSCRIPT_ID,
        corpus_id=CORPUS_ID,
        label="Heures à l'usage de Rome",
        manifest_id="https://library.example/iiif/ms1/manifest",
        iiif_version=2,
        page_count=2,
        metadata=[MetadataEntry(label="Shelfmark", value="MS 1")],
        rights="http://creativecommons.org/licenses/by/4.0/",
        structure=[
            Range(
                id="https://library.example/iiif/ms1/range/1",
                label="Calendar",
                canvases=["https://library.example/iiif/ms1/canvas/1"],
                ranges=[
                    Range(
                        id="https://library.example/iiif/ms1/range/1a",
                        label="January",
                        canvases=["https://library.example/iiif/ms1/canvas/2"],
                    )
                ],
            ),
        ],
    )
    return Manuscript(
        imported,
        [
            ManuscriptPage(registration(1, image_service_version=3), None),
            ManuscriptPage(registration(0), analysis),
        ],
    )


@pytest.fixture
def base_url() -> str:
    return BASE_URL


@pytest.fixture
def make_registration() -> object:
    return registration


IMAGE = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 8 + b"\xff\xd9"
"""Stands in for a master JPEG: the bundle copies image bytes, it never decodes them."""


class Seeder:
    """Appends a manuscript's history the way ingest and the analyzer would, page by page."""

    def __init__(self, store: EventStore, artifacts: ArtifactStore, analysis: PageAnalysis):
        self.store, self.artifacts, self.analysis = store, artifacts, analysis
        self.manuscript_id, self.job_id = uuid4(), uuid4()

    def page_id(self, index: int) -> UUID:
        return UUID(int=self.manuscript_id.int ^ (index + 1))

    async def import_manuscript(self, page_count: int, plan: Plan | None = None) -> None:
        imported = ManuscriptImported(
            manuscript_id=self.manuscript_id,
            corpus_id=CORPUS_ID,
            label="Heures",
            page_count=page_count,
        )
        created = JobCreated(job_id=self.job_id, kind="import", plan=plan or Plan())
        await self.store.append_streams(
            [
                StreamAppend(manuscript_stream(self.manuscript_id), [imported]),
                StreamAppend(job_stream(self.job_id), [created]),
            ],
            metadata=Metadata(correlation_id=self.job_id),
        )

    async def register(self, index: int) -> None:
        registered = registration(
            index,
            page_id=self.page_id(index),
            manuscript_id=self.manuscript_id,
            job_id=self.job_id,
            canvas_id=f"https://library.example/iiif/{self.manuscript_id}/canvas/{index + 1}",
        )
        master = self.artifacts.put(IMAGE, "image/jpeg")
        image = ImageRef(**master.model_dump(), width=2000, height=3000)
        normalized = PageImageNormalized(
            page_id=registered.page_id,
            job_id=self.job_id,
            master=image,
            derivative=image,
            thumbnail=image,
        )
        await self.store.append(page_stream(registered.page_id), [registered, normalized])

    def analyzed(self, index: int, *, text: str = "Livre d'heures") -> PageAnalyzed:
        analysis = self.analysis.model_copy(update={"page_id": str(self.page_id(index))})
        first = analysis.regions[1].lines[0].model_copy(update={"text": text, "words": []})
        regions = [*analysis.regions]
        regions[1] = regions[1].model_copy(update={"lines": [first]})
        analysis = analysis.model_copy(update={"regions": regions})
        ref = self.artifacts.put(analysis.model_dump_json().encode(), PageAnalysis.media_type)
        return PageAnalyzed(
            page_id=self.page_id(index),
            job_id=self.job_id,
            analysis=ref,
            engine="tesseract",
            duration_ms=1.0,
        )

    async def record(self, index: int, event: Event) -> None:
        await self.store.append(page_stream(self.page_id(index)), [event])


@pytest.fixture
def seeder(analysis: PageAnalysis) -> Seeder:
    return Seeder(InMemoryEventStore(), InMemoryArtifactStore(), analysis)
