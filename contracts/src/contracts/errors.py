"""Recto's error hierarchy, drawn once so every service names failures the same way.

RectoError
 ├── ContractError                  a message does not fit its contract
 │    ├── UnknownEventType
 │    ├── UnsupportedSchemaVersion
 │    └── InvalidEventData
 ├── StoreError
 │    ├── WrongExpectedVersion
 │    ├── TooManyEventsInTransaction
 │    └── ArtifactNotFound          no artifact with that digest in the artifact store
 ├── FetchError                     fetching from the outside world failed
 │    ├── FetchRefused              refused before any byte was fetched (SSRF guard, scheme)
 │    ├── FetchTooLarge
 │    └── FetchFailed               HTTP status or transport error, after retries
 ├── IngestError
 │    ├── StepFailed                one ingest step failed; wraps the error that stopped it
 │    ├── ManifestNotIIIF
 │    ├── ManifestWithoutImages     a valid manifest with no image canvas to import
 │    ├── ImageServiceInvalid       an Image API info.json that cannot be used
 │    ├── ImageRejected             not an image, truncated, too many pixels
 │    ├── CollectionCycle           a collection lists one of its own ancestors
 │    ├── CollectionTooDeep         collections nested past the configured depth
 │    ├── ImportTooLarge            more manifests or pages than one import may bring
 │    └── PdfRejected               a PDF Recto will not read
 │         ├── PdfEncrypted
 │         ├── PdfUnreadable         not a PDF, truncated beyond repair, a page that fails
 │         ├── PdfTooLarge           too many pages, or a page over the pixel limit
 │         └── PdfActiveContent      JavaScript or embedded files (refused by policy)
 ├── AnalysisError
 │    ├── StageFailed               a further stage failed; wraps the error that stopped it
 │    ├── EngineFailed
 │    └── UnparseableResponse
 ├── ExportError
 │    └── InvalidDocument           an output failed its XSD: a bug, never shipped
 └── RequestError                   a client's request is refused (the gateway answers 4xx)
      ├── ResourceNotFound
      ├── ResourceConflict          e.g. a corpus slug already taken
      │    └── VersionConflict      written against a version that is no longer current
      ├── InvalidRequest            well-formed but not acceptable, e.g. a plan with problems
      │    └── EditRejected         an edit that does not fit the transcription it targets
      └── RequestTooLarge
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from contracts.page import IngestStep
    from contracts.values import ArtifactRef


class RectoError(Exception):
    """Base of every error Recto raises on purpose; `code` is stable and machine-readable."""

    code = "recto-error"
    retryable = False


@dataclass(frozen=True)
class FailureReason:
    """Why work failed for the last time, as failure events record it."""

    code: str
    reason: str


def failure_reason(error: BaseException, attempts: int) -> FailureReason:
    """The code of a Recto error (`internal-error` for any other) and what happened."""
    code = error.code if isinstance(error, RectoError) else "internal-error"
    return FailureReason(code, f"gave up after {attempts} attempts: {error}")


class ContractError(RectoError):
    code = "contract-error"


class UnknownEventType(ContractError):
    code = "unknown-event-type"

    def __init__(self, event_type: str) -> None:
        super().__init__(f"unknown event type {event_type!r}")
        self.event_type = event_type


class UnsupportedSchemaVersion(ContractError):
    code = "unsupported-schema-version"

    def __init__(self, event_type: str, version: int, current: int) -> None:
        super().__init__(
            f"{event_type} schema version {version} is newer than this service knows ({current})"
        )
        self.event_type, self.version, self.current = event_type, version, current


class InvalidEventData(ContractError):
    code = "invalid-event-data"


class StoreError(RectoError):
    code = "store-error"


class WrongExpectedVersion(StoreError):
    code = "wrong-expected-version"
    retryable = True

    def __init__(self, stream_id: str, expected: int | None, actual: int | None) -> None:
        super().__init__(f"stream {stream_id!r} is at version {actual}, expected {expected}")
        self.stream_id, self.expected, self.actual = stream_id, expected, actual


class TooManyEventsInTransaction(StoreError):
    code = "too-many-events-in-transaction"


class ArtifactNotFound(StoreError):
    code = "artifact-not-found"


class FetchError(RectoError):
    code = "fetch-error"


class FetchRefused(FetchError):
    code = "fetch-refused"


class FetchTooLarge(FetchError):
    code = "fetch-too-large"


class FetchFailed(FetchError):
    code = "fetch-failed"

    def __init__(self, message: str, *, status: int | None = None, retryable: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.retryable = retryable


class IngestError(RectoError):
    code = "ingest-error"


class StepFailed(IngestError):
    """An expected failure of one ingest step; `context` tells what was tried before.

    `error` is what stopped the step: its code and retryability are what the failure event
    records.
    """

    code = "ingest-step-failed"

    def __init__(self, step: IngestStep, error: RectoError, context: str = "") -> None:
        super().__init__(f"{context}{error}")
        self.step, self.error = step, error
        self.retryable = error.retryable


class ManifestNotIIIF(IngestError):
    code = "manifest-not-iiif"


class ManifestWithoutImages(IngestError):
    code = "manifest-without-images"


class ImageServiceInvalid(IngestError):
    code = "image-service-invalid"


class ImageRejected(IngestError):
    code = "image-rejected"


class CollectionCycle(IngestError):
    code = "collection-cycle"


class CollectionTooDeep(IngestError):
    code = "collection-too-deep"


class ImportTooLarge(IngestError):
    code = "import-too-large"


class PdfRejected(IngestError):
    code = "pdf-rejected"


class PdfEncrypted(PdfRejected):
    code = "pdf-encrypted"


class PdfUnreadable(PdfRejected):
    code = "pdf-unreadable"


class PdfTooLarge(PdfRejected):
    code = "pdf-too-large"


class PdfActiveContent(PdfRejected):
    code = "pdf-active-content"


class AnalysisError(RectoError):
    code = "analysis-error"


class StageFailed(AnalysisError):
    """A further stage of a plan failed; `error` is what stopped it, its code the one recorded."""

    code = "stage-failed"

    def __init__(self, stage: str, error: RectoError) -> None:
        super().__init__(f"stage {stage!r} failed: {error}")
        self.stage, self.error = stage, error
        self.retryable = error.retryable


class EngineFailed(AnalysisError):
    code = "engine-failed"
    retryable = True


class UnparseableResponse(AnalysisError):
    """`raw_response` is the `ArtifactRef` of the unparsed answer, stored for diagnosis."""

    code = "unparseable-response"

    def __init__(self, message: str, *, raw_response: ArtifactRef | None = None) -> None:
        super().__init__(message)
        self.raw_response = raw_response


class ExportError(RectoError):
    code = "export-error"


class InvalidDocument(ExportError):
    code = "invalid-document"


class RequestError(RectoError):
    code = "request-error"


class ResourceNotFound(RequestError):
    code = "not-found"


class ResourceConflict(RequestError):
    code = "conflict"


class VersionConflict(ResourceConflict):
    """`current_version` is what the writer should read again and write against."""

    code = "version-conflict"

    def __init__(self, message: str, *, current_version: int) -> None:
        super().__init__(message)
        self.current_version = current_version
        self.extensions = {"current_version": current_version}


class InvalidRequest(RequestError):
    code = "invalid-request"

    def __init__(self, message: str, *, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []


class EditRejected(InvalidRequest):
    """`problems` names each refused operation by its index and what it targets."""

    code = "edit-rejected"


class RequestTooLarge(RequestError):
    code = "too-large"
