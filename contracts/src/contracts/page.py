"""The page aggregate: one canvas or image, from registration to export."""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

from pydantic import Field

from contracts.base import Contract, Event
from contracts.plan import Plan
from contracts.upcasting import upcaster
from contracts.values import ArtifactRef, ImageRef


class PageRegistered(Event):
    type = "page.registered"
    schema_version = 4

    page_id: UUID
    manuscript_id: UUID
    corpus_id: UUID
    job_id: UUID | None = None
    index: int = Field(ge=0, description="position of the page in the manuscript, from 0")
    label: str | None = None
    canvas_id: str | None = None
    canvas_width: int | None = Field(default=None, gt=0)
    canvas_height: int | None = Field(default=None, gt=0)
    canvas_resolution: float | None = Field(
        default=None,
        gt=0,
        description="pixels per inch of the canvas's coordinates, from a IIIF physdim service",
    )
    image_url: str | None = None
    image_service: str | None = Field(default=None, description="IIIF Image API service id")
    image_service_version: int | None = None
    image_service_profile: str | None = Field(
        default=None,
        description="the service's compliance profile as the source declared it, e.g. `level1` "
        "or `http://iiif.io/api/image/2/level2.json`",
    )
    upload: ArtifactRef | None = None
    upload_page: int | None = Field(
        default=None, ge=1, description="for an uploaded PDF: the page this is, from 1"
    )


@upcaster("page.registered", 1)
def upcast_page_registered_v1_v2(data: dict[str, Any]) -> dict[str, Any]:
    """Version 1 knew no PDF uploads: every upload was one image."""
    return {**data, "upload_page": None}


@upcaster("page.registered", 2)
def upcast_page_registered_v2_v3(data: dict[str, Any]) -> dict[str, Any]:
    """Version 2 did not record the image service's profile: nothing is known of its level."""
    return {**data, "image_service_profile": None}


@upcaster("page.registered", 3)
def upcast_page_registered_v3_v4(data: dict[str, Any]) -> dict[str, Any]:
    """Version 3 did not read a canvas's physdim service."""
    return {**data, "canvas_resolution": None}


class PageImageNormalized(Event):
    type = "page.image_normalized"
    schema_version = 3

    page_id: UUID
    job_id: UUID | None = None
    source_url: str | None = None
    master: ImageRef = Field(description="dimensions of the full-resolution image")
    derivative: ImageRef = Field(description="the image analysed, scaled from the master")
    thumbnail: ImageRef
    fetched: ImageRef | None = Field(
        default=None,
        description="the bytes fetched with their own size, when an image service served "
        "a reduced size (`master` then points to them with the full-resolution size)",
    )
    resolution_dpi: float | None = Field(
        default=None,
        gt=0,
        description="pixels per inch of the master, when known (a PDF page rendered at it)",
    )
    resolution: float | None = Field(
        default=None,
        gt=0,
        description="pixels per inch of the derivative, as the source declares it (a IIIF "
        "physdim service, the image's resolution tags) scaled to the derivative; None when "
        "nothing is declared and engines estimate it",
    )


@upcaster("page.image_normalized", 1)
def upcast_page_image_normalized_v1_v2(data: dict[str, Any]) -> dict[str, Any]:
    """Version 1 did not record the resolution."""
    return {**data, "resolution_dpi": None}


@upcaster("page.image_normalized", 2)
def upcast_page_image_normalized_v2_v3(data: dict[str, Any]) -> dict[str, Any]:
    """Version 2 carried no declared resolution: engines read the derivative's tags or estimated."""
    return {**data, "resolution": None}


IngestStep = Literal["register", "info", "fetch", "decode", "normalise", "store"]
PageStage = Literal["ingest", "analysis", "export"]
"""The stages a page goes through, each run by one service: ingest, analyzer, exporter."""


class PageIngestFailed(Event):
    type = "page.ingest_failed"

    page_id: UUID
    job_id: UUID | None = None
    step: IngestStep
    code: str
    reason: str
    retryable: bool = False


class PageAnalysisRequested(Event):
    type = "page.analysis_requested"
    schema_version = 3

    page_id: UUID
    job_id: UUID
    plan: Plan


@upcaster("page.analysis_requested", 1)
def upcast_page_analysis_requested_v1_v2(data: dict[str, Any]) -> dict[str, Any]:
    """Version 2's plan steps may name candidates; a version 1 plan has none, and is valid."""
    return data


@upcaster("page.analysis_requested", 2)
def upcast_page_analysis_requested_v2_v3(data: dict[str, Any]) -> dict[str, Any]:
    """Version 3's stages may say their kind and language; a version 2 stage says neither,
    and is valid."""
    return data


class PageAnalysisStarted(Event):
    type = "page.analysis_started"

    page_id: UUID
    job_id: UUID | None = None
    engine: str
    attempt: int = Field(ge=1)


class PageAnalysisStageCompleted(Event):
    type = "page.analysis_stage_completed"

    page_id: UUID
    job_id: UUID | None = None
    stage: str
    engine: str
    output: ArtifactRef
    duration_ms: float = Field(ge=0)


class CandidateResult(Contract):
    """How one candidate of an engine step did on the page."""

    engine: str
    languages: list[str] = Field(default_factory=list)
    model: str | None = None
    scores: dict[str, float] = Field(default_factory=dict)
    chosen: bool = False
    error: str | None = Field(default=None, description="why the candidate gave no result")
    duration_ms: float = Field(ge=0)


class PageAnalyzed(Event):
    type = "page.analyzed"
    schema_version = 2

    page_id: UUID
    job_id: UUID | None = None
    analysis: ArtifactRef
    engine: str
    engine_version: str | None = None
    mean_confidence: float | None = Field(default=None, ge=0, le=1)
    scores: dict[str, float] = Field(default_factory=dict)
    duration_ms: float = Field(ge=0)
    attempts: list[str] = Field(default_factory=list, description="engines tried, in order")
    candidates: list[CandidateResult] = Field(
        default_factory=list,
        description="every candidate of the step whose result was kept, with its scores; "
        "empty when that step had no candidates",
    )


@upcaster("page.analyzed", 1)
def upcast_page_analyzed_v1_v2(data: dict[str, Any]) -> dict[str, Any]:
    """Version 1 steps had no candidates."""
    return {**data, "candidates": []}


class PageAnalysisFailed(Event):
    type = "page.analysis_failed"

    page_id: UUID
    job_id: UUID | None = None
    code: str
    reason: str
    attempt: int = Field(ge=1)
    final: bool
    raw_response: ArtifactRef | None = None


class PageExported(Event):
    type = "page.exported"

    page_id: UUID
    job_id: UUID | None = None
    analysis: ArtifactRef
    formats: dict[str, ArtifactRef]


class PageExportFailed(Event):
    type = "page.export_failed"

    page_id: UUID
    job_id: UUID | None = None
    format: str
    code: str
    reason: str


class PageStageRerequested(Event):
    """A stage of the page is asked to run again: a retry of a failed page, or the sweeper
    re-requesting a stage that made no progress (a lost message, a consumer that died)."""

    type = "page.stage_rerequested"

    page_id: UUID
    job_id: UUID | None = None
    stage: PageStage
    attempt: int = Field(ge=1, description="re-requests of this stage since the page progressed")
    reason: str


class PageStageSkipped(Event):
    """A stage was not run because the page's job was cancelled before it started."""

    type = "page.stage_skipped"

    page_id: UUID
    job_id: UUID | None = None
    stage: PageStage
    reason: str
