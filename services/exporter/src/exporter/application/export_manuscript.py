"""A manuscript whose pages are all done -> IIIF manifest, METS, bundle -> `manuscript.exported`.

The event is appended at the manuscript stream's version read before building, with the page
event the export was built after as its causation: of two replicas building the same
manuscript, only one records it, and one that finds it already recorded builds nothing.
"""

from __future__ import annotations

import logging
from functools import partial

import anyio

from contracts import (
    ManuscriptExported,
    ManuscriptImported,
    Metadata,
    RecordedEvent,
    manuscript_stream,
    page_stream,
)
from exporter.application.ports import DueManuscript, ManuscriptExportPorts
from exporter.domain.progress import PageOutcome, fold_page
from infra.eventstore import StreamAppend

ACTOR = "exporter-manuscripts"
log = logging.getLogger(__name__)


async def export_manuscript(
    due: DueManuscript, ports: ManuscriptExportPorts
) -> ManuscriptExported | None:
    """The recorded event, or None when there was nothing (more) to record.

    Raises `WrongExpectedVersion` when another replica recorded it meanwhile.
    """
    stream = manuscript_stream(due.manuscript_id)
    recorded = await ports.store.read_stream(stream)
    imported = _imported(recorded)
    if imported is None or _already_exported(recorded, due):
        return None
    assert isinstance(imported.data, ManuscriptImported)
    pages = [
        fold_page(e.data for e in await ports.store.read_stream(page_stream(page_id)))
        for page_id in due.page_ids
    ]
    if not all(page.done for page in pages):
        # The progress table ran ahead of what this replica reads; the next round will tell.
        log.info("manuscript %s: a page is not done after all", due.manuscript_id)
        return None
    # Imported on first use: the PDF and zip writers (pikepdf, fontTools, Pillow, stream_zip)
    # cost the exporter's start-up ~0.5 s of CPU, and only finished manuscripts need them.
    from exporter.application.manuscript_files import store_manuscript_files

    store_files = partial(
        store_manuscript_files, imported.data, pages, ports.artifacts, ports.urls.base_url
    )
    formats = await anyio.to_thread.run_sync(store_files)
    exported = ManuscriptExported(
        manuscript_id=due.manuscript_id,
        formats=formats,
        pages_exported=sum(page.outcome is PageOutcome.EXPORTED for page in pages),
        pages_failed=sum(page.outcome is PageOutcome.FAILED for page in pages),
    )
    metadata = Metadata(
        correlation_id=imported.correlation_id, causation_id=due.last_change, actor=ACTOR
    )
    await ports.store.append_streams(
        [StreamAppend(stream, [exported], recorded[-1].stream_version)], metadata=metadata
    )
    return exported


def _imported(recorded: list[RecordedEvent]) -> RecordedEvent | None:
    for event in reversed(recorded):
        if isinstance(event.data, ManuscriptImported):
            return event
    return None


def _already_exported(recorded: list[RecordedEvent], due: DueManuscript) -> bool:
    return any(
        isinstance(e.data, ManuscriptExported) and e.causation_id == due.last_change
        for e in recorded
    )
