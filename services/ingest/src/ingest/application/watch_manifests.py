"""Re-read watched manifests and register the canvases they gained.

A manifest that cannot be read is logged with its reason and tried again at its next turn;
it never stops the sweep of the others.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import anyio

from contracts import Metadata, page_stream
from contracts.errors import FetchError, IngestError, ManifestNotIIIF, StoreError
from infra.eventstore import NO_STREAM, EventStore, StreamAppend
from ingest.application.ports import Fetcher
from ingest.application.watch_ports import WatchedManifests, WatchSettings
from ingest.domain.manifest import Manifest
from ingest.domain.watch import WatchedManifest, pages_to_register
from ingest.formats.iiif.documents import parse_document

log = logging.getLogger(__name__)

ACTOR = "ingest-watch"


@dataclass(frozen=True)
class WatchPorts:
    manifests: WatchedManifests
    fetcher: Fetcher
    store: EventStore
    settings: WatchSettings = field(default_factory=WatchSettings)


@dataclass
class SweepReport:
    checked: int = 0
    not_modified: int = 0
    pages_registered: int = 0
    failed: int = 0


async def sweep(ports: WatchPorts) -> SweepReport:
    """Check every due manifest once, a few at a time."""
    report = SweepReport()
    due = await ports.manifests.due(ports.settings.batch_size)
    limiter = anyio.CapacityLimiter(ports.settings.concurrency)

    async def check(watched: WatchedManifest) -> None:
        async with limiter:
            await check_manifest(watched, ports, report)

    async with anyio.create_task_group() as group:
        for watched in due:
            group.start_soon(check, watched)
    return report


async def check_manifest(watched: WatchedManifest, ports: WatchPorts, report: SweepReport) -> None:
    delay = ports.settings.delay(watched)
    report.checked += 1
    try:
        fetched = await ports.fetcher.get(
            watched.url,
            max_bytes=ports.settings.max_manifest_bytes,
            headers=watched.conditional_headers(),
        )
        if fetched.not_modified:
            await ports.manifests.not_modified(watched.manuscript_id, delay=delay)
            report.not_modified += 1
            return
        document = parse_document(fetched.body)
        if not isinstance(document, Manifest):
            raise ManifestNotIIIF("now a collection, not a manifest: no canvases to watch")
        pages = pages_to_register(watched, document)
        if pages:
            await ports.store.append_streams(
                [StreamAppend(page_stream(p.page_id), [p], NO_STREAM) for p in pages],
                metadata=Metadata(correlation_id=watched.job_id, actor=ACTOR),
            )
    except (FetchError, IngestError, StoreError) as error:
        reason = f"{error.code}: {error}"
    except Exception as error:  # a bug in one manifest's check must not stop the others
        log.exception("watched manifest check crashed", extra={"url": watched.url})
        reason = f"internal-error: {type(error).__name__}: {error}"
    else:
        await ports.manifests.checked(
            watched.manuscript_id,
            etag=fetched.etag,
            last_modified=fetched.last_modified,
            registered=pages,
            delay=delay,
        )
        report.pages_registered += len(pages)
        if pages:
            log.info(
                "watched manifest gained pages",
                extra={"manuscript_id": str(watched.manuscript_id), "pages": len(pages)},
            )
        return
    report.failed += 1
    log.warning(
        "watched manifest check failed; retrying at its next turn",
        extra={"manuscript_id": str(watched.manuscript_id), "url": watched.url, "reason": reason},
    )
    await ports.manifests.failed(watched.manuscript_id, reason=reason, delay=delay)
