"""`page.analyzed` -> every requested format rendered, validated, stored -> `page.exported`."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import partial

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
from exporter.application.render import page_format, render_page
from exporter.domain.document import RenderedDocument

DEFAULT_FORMATS = ("alto", "page", "text", "annotations", "hocr")
log = logging.getLogger(__name__)


async def export_page(
    event: PageAnalyzed, ports: ExportPorts, formats: Sequence[str] = DEFAULT_FORMATS
) -> list[tuple[str, Event]]:
    """All formats or nothing: one invalid format fails the page, one event per failed format."""
    stream = page_stream(event.page_id)
    try:
        raw = await anyio.to_thread.run_sync(ports.artifacts.get, event.analysis)
        analysis = PageAnalysis.model_validate_json(raw)
    except ValidationError as error:
        reason = f"analysis artifact {event.analysis.sha256} does not fit PageAnalysis: {error}"
        return [(stream, _failed(event, "analysis", ContractError.code, reason))]
    except RectoError as error:
        return [(stream, _failed(event, "analysis", error.code, str(error)))]
    registered = await ports.registration(event.page_id) if ports.registration else None

    exported: dict[str, ArtifactRef] = {}
    failures: list[tuple[str, Event]] = []
    for name in dict.fromkeys(formats):
        try:
            render = partial(_render, name, analysis, event, ports, registered)
            document = await anyio.to_thread.run_sync(render)
            ref = await anyio.to_thread.run_sync(
                ports.artifacts.put, document.content, document.media_type
            )
        except RectoError as error:
            failures.append((stream, _failed(event, name, error.code, str(error))))
            continue
        if document.dropped_characters:
            log.warning(
                "page %s %s: dropped %d characters XML 1.0 cannot carry",
                event.page_id,
                name,
                document.dropped_characters,
            )
        exported[name] = ref
    if failures:
        return failures
    done = PageExported(
        page_id=event.page_id, job_id=event.job_id, analysis=event.analysis, formats=exported
    )
    return [(stream, done)]


def _render(
    name: str,
    analysis: PageAnalysis,
    event: PageAnalyzed,
    ports: ExportPorts,
    registered: PageRegistered | None,
) -> RenderedDocument:
    canvas_size = None
    if registered and registered.canvas_width and registered.canvas_height:
        canvas_size = (registered.canvas_width, registered.canvas_height)
    return render_page(
        page_format(name),
        analysis,
        page_id=event.page_id,
        urls=ports.urls,
        canvas_id=registered.canvas_id if registered else None,
        canvas_size=canvas_size,
        image_name=(registered.image_url if registered else None) or analysis.image.uri,
        page_number=registered.index + 1 if registered else 1,
    )


def _failed(event: PageAnalyzed, fmt: str, code: str, reason: str) -> PageExportFailed:
    return PageExportFailed(
        page_id=event.page_id, job_id=event.job_id, format=fmt, code=code, reason=reason
    )
