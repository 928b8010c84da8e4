"""A small, fixed manuscript and analysis shared by the exporter's tests."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

import pytest

from contracts import (
    Box,
    EngineInfo,
    Line,
    ManuscriptImported,
    MetadataEntry,
    PageAnalysis,
    PageImage,
    PageRegistered,
    Range,
    Region,
    RegionType,
    Word,
)
from exporter.domain.manuscript import Manuscript, ManuscriptPage

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
