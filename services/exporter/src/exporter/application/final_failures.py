"""What the exporter records when a message failed for the last time."""

from __future__ import annotations

from uuid import UUID

from contracts import (
    PageExportFailed,
    PageTranscriptionImportFailed,
    PageTranscriptionImportRequested,
    page_stream,
)
from contracts.errors import FailureReason
from infra.messaging.consumer import Emitted


def record_export_failure(
    page_id: UUID, job_id: UUID | None, formats: str, failure: FailureReason
) -> Emitted:
    failed = PageExportFailed(
        page_id=page_id, job_id=job_id, format=formats, code=failure.code, reason=failure.reason
    )
    return [(page_stream(page_id), failed)]


def record_transcription_import_failure(
    request: PageTranscriptionImportRequested, request_id: UUID, failure: FailureReason
) -> Emitted:
    failed = PageTranscriptionImportFailed(
        page_id=request.page_id, request_id=request_id, code=failure.code, reason=failure.reason
    )
    return [(page_stream(request.page_id), failed)]
