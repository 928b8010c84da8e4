"""`page.analyzed` -> every requested format rendered, validated, stored -> `page.exported`."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from uuid import UUID

import anyio
from pydantic import ValidationError

from contracts import (
    ArtifactRef,
    Event,
    PageAnalysis,
    PageAnalyzed,
    PageExported,
    PageExportFailed,
    PageRegistered,
    page_stream,
)
from contracts.errors import ContractError, RectoError
from exporter.application.ports import ExportPorts
from exporter.application.render import page_format, render_page, render_stage
from exporter.domain.document import RenderedDocument
from exporter.domain.formats import PageFormat, stage_key, with_companions
from exporter.domain.stages import STAGE_FORMATS, StageText, stage_texts

DEFAULT_FORMATS = ("alto", "page", "text", "annotations", "hocr")
log = logging.getLogger(__name__)


@dataclass
class Rendered:
    """Every format stored, or the failures (format, code, reason) that stop the export."""

    formats: dict[str, ArtifactRef] = field(default_factory=dict)
    failures: list[tuple[str, str, str]] = field(default_factory=list)


async def read_analysis(ports: ExportPorts, ref: ArtifactRef) -> PageAnalysis:
    """Raises `ContractError` when the artifact is not a `PageAnalysis`."""
    raw = await anyio.to_thread.run_sync(ports.artifacts.get, ref)
    try:
        return PageAnalysis.model_validate_json(raw)
    except ValidationError as error:
        raise ContractError(
            f"analysis artifact {ref.sha256} does not fit PageAnalysis: {error}"
        ) from error


async def render_formats(
    analysis: PageAnalysis,
    formats: Sequence[str],
    *,
    page_id: UUID,
    ports: ExportPorts,
    registered: PageRegistered | None,
    status: str | None = None,
) -> Rendered:
    """Every format asked for, and each stage output's own file in those that give it one."""
    names = with_companions(formats)
    renders: list[tuple[str, Callable[[], RenderedDocument]]] = [
        (name, partial(_render, name, analysis, page_id, ports, registered, status))
        for name in names
    ]
    for fmt in STAGE_FORMATS:
        if fmt.value in names:
            renders.extend(
                (
                    stage_key(fmt, stage.slug),
                    partial(_render_stage, fmt, stage, analysis, page_id, ports, registered),
                )
                for stage in stage_texts(analysis)
            )
    rendered = Rendered()
    for name, render in renders:
        try:
            document = await anyio.to_thread.run_sync(render)
            ref = await anyio.to_thread.run_sync(
                ports.artifacts.put, document.content, document.media_type
            )
        except RectoError as error:
            rendered.failures.append((name, error.code, str(error)))
            continue
        if document.dropped_characters:
            log.warning(
                "page %s %s: dropped %d characters XML 1.0 cannot carry",
                page_id,
                name,
                document.dropped_characters,
            )
        rendered.formats[name] = ref
    return rendered


async def export_page(
    event: PageAnalyzed, ports: ExportPorts, formats: Sequence[str] = DEFAULT_FORMATS
) -> list[tuple[str, Event]]:
    """All formats or nothing: one invalid format fails the page, one event per failed format."""
    stream = page_stream(event.page_id)
    try:
        analysis = await read_analysis(ports, event.analysis)
    except RectoError as error:
        return [(stream, _failed(event.page_id, event.job_id, "analysis", error.code, str(error)))]
    registered = await ports.registration(event.page_id) if ports.registration else None
    rendered = await render_formats(
        analysis, formats, page_id=event.page_id, ports=ports, registered=registered
    )
    if rendered.failures:
        return [
            (stream, _failed(event.page_id, event.job_id, *failure))
            for failure in rendered.failures
        ]
    done = PageExported(
        page_id=event.page_id,
        job_id=event.job_id,
        analysis=event.analysis,
        formats=rendered.formats,
    )
    return [(stream, done)]


def _render(
    name: str,
    analysis: PageAnalysis,
    page_id: UUID,
    ports: ExportPorts,
    registered: PageRegistered | None,
    status: str | None,
) -> RenderedDocument:
    canvas_id, canvas_size = _canvas(registered)
    return render_page(
        page_format(name),
        analysis,
        page_id=page_id,
        urls=ports.urls,
        canvas_id=canvas_id,
        canvas_size=canvas_size,
        image_name=(registered.image_url if registered else None) or analysis.image.uri,
        page_number=registered.index + 1 if registered else 1,
        status=status,
    )


def _render_stage(
    fmt: PageFormat,
    stage: StageText,
    analysis: PageAnalysis,
    page_id: UUID,
    ports: ExportPorts,
    registered: PageRegistered | None,
) -> RenderedDocument:
    canvas_id, canvas_size = _canvas(registered)
    return render_stage(
        fmt,
        analysis,
        stage,
        page_id=page_id,
        urls=ports.urls,
        canvas_id=canvas_id,
        canvas_size=canvas_size,
    )


def _canvas(registered: PageRegistered | None) -> tuple[str | None, tuple[int, int] | None]:
    """The source's canvas id and size, when the page came from a manifest that gave them."""
    if registered is None:
        return None, None
    size = None
    if registered.canvas_width and registered.canvas_height:
        size = (registered.canvas_width, registered.canvas_height)
    return registered.canvas_id, size


def _failed(
    page_id: UUID, job_id: UUID | None, fmt: str, code: str, reason: str
) -> PageExportFailed:
    return PageExportFailed(page_id=page_id, job_id=job_id, format=fmt, code=code, reason=reason)
