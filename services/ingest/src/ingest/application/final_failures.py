"""What ingest records when a message failed for the last time."""

from __future__ import annotations

from uuid import UUID

from contracts import (
    ManuscriptImportFailed,
    ManuscriptImportRequested,
    PageIngestFailed,
    manuscript_stream,
    page_stream,
)
from contracts.errors import FailureReason
from ingest.application.manuscript_events import Emitted


def record_import_failure(event: ManuscriptImportRequested, failure: FailureReason) -> Emitted:
    failed = ManuscriptImportFailed(
        manuscript_id=event.manuscript_id, code=failure.code, reason=failure.reason
    )
    return [(manuscript_stream(event.manuscript_id), failed)]


def record_ingest_failure(page_id: UUID, job_id: UUID | None, failure: FailureReason) -> Emitted:
    failed = PageIngestFailed(
        page_id=page_id, job_id=job_id, step="normalise", code=failure.code, reason=failure.reason
    )
    return [(page_stream(page_id), failed)]
