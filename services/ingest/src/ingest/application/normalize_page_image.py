"""Handle `page.registered`: fetch the page image, normalize it, store master and derivatives.

The same work runs again for `page.stage_rerequested` of the ingest stage (a retry, or the
sweeper), from the page's registration; a page of a cancelled job is skipped, not fetched.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import anyio

from contracts import (
    Event,
    ImageRef,
    PageImageNormalized,
    PageIngestFailed,
    PageRegistered,
    PageStageRerequested,
    RecordedEvent,
    page_stream,
)
from contracts.errors import FetchError, IngestError, PdfRejected, RectoError, StepFailed
from infra.artifacts import ArtifactStore
from infra.stage_guard import cancellation, rerun_outdated, skipped
from ingest.application.pdf_uploads import render_uploaded_page
from ingest.application.ports import IngestPorts
from ingest.domain.image_request import choose_request
from ingest.formats.pillow_normalizer import EncodedImage, NormalizedImage, normalize_image

Emitted = list[tuple[str, Event]]
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SourceImage:
    body: bytes
    url: str | None
    master_size: tuple[int, int] | None = None  # known from info.json when fetched reduced
    dpi: float | None = None  # a PDF page's, rendered at its native resolution
    # A resolution declared beside the bytes (physdim): pixels per inch at a width.
    declared: tuple[float, int] | None = None


async def normalize_page_image(event: PageRegistered, ports: IngestPorts) -> Emitted:
    cancelled = await cancellation(ports.events, event.job_id)
    if cancelled is not None:
        return [skipped(event.page_id, event.job_id, "ingest", cancelled)]
    try:
        source = await _source_image(event, ports)
        normalized = await _normalize(source, event, ports)
        return [(page_stream(event.page_id), await _store(event, source, normalized, ports))]
    except StepFailed as failure:
        return [(page_stream(event.page_id), _failed(event, failure))]


async def rerun_page_ingest(rerequest: RecordedEvent, ports: IngestPorts) -> Emitted:
    """Normalize a page again from its registration, unless the request is outdated."""
    data = rerequest.data
    assert isinstance(data, PageStageRerequested)
    if data.stage != "ingest":
        return []
    if (outdated := await rerun_outdated(ports.events, rerequest)) is not None:
        log.info("ingest re-request of page %s left alone: %s", data.page_id, outdated)
        return []
    registered = None
    for recorded in await ports.events.read_stream(page_stream(data.page_id)):
        if isinstance(recorded.data, PageRegistered):
            registered = recorded.data
    if registered is None:
        never = PageIngestFailed(
            page_id=data.page_id,
            job_id=data.job_id,
            step="register",
            code=IngestError.code,
            reason="the page was never registered",
        )
        return [(page_stream(data.page_id), never)]
    return await normalize_page_image(
        registered.model_copy(update={"job_id": data.job_id or registered.job_id}), ports
    )


async def _source_image(event: PageRegistered, ports: IngestPorts) -> SourceImage:
    if event.upload is not None and event.upload_page is not None:
        try:
            png, dpi = await render_uploaded_page(event, ports)
        except PdfRejected as error:
            raise StepFailed("decode", error) from None
        except RectoError as error:
            raise StepFailed("fetch", error) from None
        return SourceImage(png, None, dpi=dpi)
    if event.upload is not None:
        try:
            return SourceImage(
                await anyio.to_thread.run_sync(ports.artifacts.get, event.upload), None
            )
        except RectoError as error:
            raise StepFailed("fetch", error) from None
    service_failure: StepFailed | None = None
    if event.image_service:
        try:
            return await _from_service(event.image_service, event.image_service_version, ports)
        except StepFailed as failure:
            service_failure = failure  # the static image may still be there
    if event.image_url:
        try:
            fetched = await ports.fetcher.get(event.image_url)
        except FetchError as error:
            context = f"image service: {service_failure}; static image: " if service_failure else ""
            raise StepFailed("fetch", error, context) from None
        return SourceImage(fetched.body, fetched.url)
    if service_failure is not None:
        raise service_failure
    raise StepFailed("register", IngestError("the page has no image URL, service or upload"))


async def _from_service(service_id: str, version: int | None, ports: IngestPorts) -> SourceImage:
    try:
        info = await ports.image_info.info(service_id, version or 2)
    except (FetchError, IngestError) as error:
        raise StepFailed("info", error) from None
    request = choose_request(info, ports.settings.derivative_long_side)
    try:
        fetched = await ports.fetcher.get(request.url)
    except FetchError as error:
        raise StepFailed("fetch", error) from None
    declared = (info.ppi, info.width) if info.ppi else None
    return SourceImage(fetched.body, fetched.url, (info.width, info.height), declared=declared)


def _canvas_resolution(event: PageRegistered) -> tuple[float, int] | None:
    """The canvas's physdim resolution: the painted image covers the canvas's width."""
    if event.canvas_resolution and event.canvas_width:
        return (event.canvas_resolution, event.canvas_width)
    return None


async def _normalize(
    source: SourceImage, event: PageRegistered, ports: IngestPorts
) -> NormalizedImage:
    settings = ports.settings

    def work() -> NormalizedImage:
        return normalize_image(
            source.body,
            long_side=settings.derivative_long_side,
            thumbnail_size=settings.thumbnail_size,
            max_pixels=settings.max_pixels,
            declared=source.declared or _canvas_resolution(event),
        )

    try:
        return await anyio.to_thread.run_sync(work)
    except IngestError as error:
        raise StepFailed("decode", error) from None


async def _store(
    event: PageRegistered, source: SourceImage, image: NormalizedImage, ports: IngestPorts
) -> PageImageNormalized:
    store = ports.artifacts

    def work() -> PageImageNormalized:
        master_ref = store.put(source.body, image.source_media_type)
        own = ImageRef(**master_ref.model_dump(), width=image.width, height=image.height)
        master = own
        fetched = None
        if source.master_size and source.master_size != (image.width, image.height):
            width, height = source.master_size
            master = ImageRef(**master_ref.model_dump(), width=width, height=height)
            fetched = own
        return PageImageNormalized(
            page_id=event.page_id,
            job_id=event.job_id,
            source_url=source.url,
            master=master,
            derivative=_put_encoded(store, image.derivative),
            thumbnail=_put_encoded(store, image.thumbnail),
            fetched=fetched,
            resolution_dpi=source.dpi,
            resolution=image.resolution,
        )

    try:
        return await anyio.to_thread.run_sync(work)
    except OSError as error:
        raise StepFailed("store", IngestError(f"cannot store artifacts: {error}")) from None


def _put_encoded(store: ArtifactStore, encoded: EncodedImage) -> ImageRef:
    ref = store.put(encoded.data, encoded.media_type)
    return ImageRef(**ref.model_dump(), width=encoded.width, height=encoded.height)


def _failed(event: PageRegistered, failure: StepFailed) -> PageIngestFailed:
    return PageIngestFailed(
        page_id=event.page_id,
        job_id=event.job_id,
        step=failure.step,
        code=failure.error.code,
        reason=str(failure),
        retryable=failure.error.retryable,
    )
