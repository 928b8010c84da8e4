"""Human work on a page: corrections, status changes, adopted candidates, import requests.

Each command reads the page's stream, folds its current transcription, decides against it,
and appends at the stream version it read. When anything was appended meanwhile, it decides
again on what is there now: an event that changed neither the text nor the status (an
export, say) costs a retry, a change the writer had not seen makes its version stale (409).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

import anyio

from contracts import (
    ArtifactRef,
    EditorialStatus,
    Event,
    Metadata,
    Operation,
    PageAnalysis,
    PageCandidateAdopted,
    PageCorrected,
    PageStatusChanged,
    PageTranscriptionImportRequested,
    Revision,
    page_stream,
)
from contracts.edit_checks import EditLimits
from contracts.editing import apply_operations, with_revision
from contracts.editions import ALLOWED_TRANSITIONS, TranscriptionFormat, may_move
from contracts.errors import (
    ResourceConflict,
    ResourceNotFound,
    VersionConflict,
    WrongExpectedVersion,
)
from contracts.transcription import Transcription, fold_transcription
from gateway.application.ports import refused_if_unrecordable
from gateway.domain.adoption import adopt_lines
from infra.artifacts import ArtifactStore, read_artifact
from infra.eventstore import EventStore

WRITE_ATTEMPTS = 8
Decide = Callable[[Transcription], Awaitable[Event]]


@dataclass(frozen=True)
class Recorded:
    event_id: UUID
    version: int
    position: int
    type: str
    analysis: ArtifactRef | None


async def load_analysis(artifacts: ArtifactStore, ref: ArtifactRef) -> PageAnalysis:
    return PageAnalysis.model_validate_json(await read_artifact(artifacts, ref))


async def store_analysis(artifacts: ArtifactStore, analysis: PageAnalysis) -> ArtifactRef:
    data = analysis.model_dump_json().encode()
    return await anyio.to_thread.run_sync(artifacts.put, data, PageAnalysis.media_type)


async def record_edit(store: EventStore, page_id: UUID, actor: str, decide: Decide) -> Recorded:
    stream = page_stream(page_id)
    for _ in range(WRITE_ATTEMPTS):
        events = await store.read_stream(stream)
        if not events:
            raise ResourceNotFound(f"no page {page_id}")
        state = fold_transcription(events)
        event = await decide(state)
        try:
            with refused_if_unrecordable():
                (appended,) = await store.append(
                    stream,
                    [event],
                    expected_version=state.stream_version,
                    metadata=Metadata(actor=actor),
                )
        except WrongExpectedVersion:
            continue
        return Recorded(
            appended.event_id,
            appended.stream_version,
            appended.position,
            event.type,
            getattr(event, "analysis", None),
        )
    current = await store.stream_version(stream)
    raise VersionConflict(
        f"page {page_id} kept changing while the edit was recorded; try again",
        current_version=current,
    )


def _revision(state: Transcription, kind: str, actor: str, reason: str, summary: str) -> Revision:
    return Revision.model_validate(
        {
            "kind": kind,
            "actor": actor,
            "at": datetime.now(UTC),
            "version": state.stream_version + 1,
            "reason": reason,
            "summary": summary,
        }
    )


def _current(state: Transcription) -> ArtifactRef:
    if state.current is None:
        raise ResourceConflict("the page has no transcription yet: nothing to change")
    return state.current


async def correct_page(
    store: EventStore,
    artifacts: ArtifactStore,
    page_id: UUID,
    *,
    expected_version: int,
    reason: str,
    operations: Sequence[Operation],
    actor: str,
    limits: EditLimits,
) -> Recorded:
    async def decide(state: Transcription) -> Event:
        state.check_against(expected_version)
        base = _current(state)
        edited = apply_operations(await load_analysis(artifacts, base), operations, limits)
        summary = f"{len(operations)} operation{'s' if len(operations) != 1 else ''}"
        revised = with_revision(edited, _revision(state, "correction", actor, reason, summary))
        return PageCorrected(
            page_id=page_id,
            against_version=expected_version,
            actor=actor,
            reason=reason,
            operations=list(operations),
            base=base,
            analysis=await store_analysis(artifacts, revised),
        )

    return await record_edit(store, page_id, actor, decide)


async def change_status(
    store: EventStore,
    page_id: UUID,
    *,
    expected_version: int,
    status: EditorialStatus,
    reason: str,
    actor: str,
) -> Recorded:
    async def decide(state: Transcription) -> Event:
        state.check_against(expected_version, judging=True)
        _current(state)
        if not may_move(state.status, status):
            allowed = sorted(s.value for s in ALLOWED_TRANSITIONS[state.status])
            raise ResourceConflict(
                f"a page in status {state.status.value} can move to {', '.join(allowed)}, "
                f"not to {status.value}"
            )
        return PageStatusChanged(
            page_id=page_id,
            against_version=expected_version,
            actor=actor,
            previous=state.status,
            status=status,
            reason=reason,
        )

    return await record_edit(store, page_id, actor, decide)


async def adopt_candidate(
    store: EventStore,
    artifacts: ArtifactStore,
    page_id: UUID,
    candidate_version: int,
    *,
    expected_version: int,
    lines: Sequence[str] | None,
    reason: str,
    actor: str,
) -> Recorded:
    async def decide(state: Transcription) -> Event:
        state.check_against(expected_version)
        candidate = state.candidates.get(candidate_version)
        if candidate is None:
            raise ResourceNotFound(f"page {page_id} has no candidate {candidate_version}")
        offered = await load_analysis(artifacts, candidate.analysis)
        current = await load_analysis(artifacts, state.current) if state.current else None
        if lines is None or current is None:
            adopted = offered.model_copy(update={"revisions": current.revisions if current else []})
            summary = "the whole candidate"
        else:
            adopted = adopt_lines(current, offered, lines)
            summary = f"{len(lines)} line{'s' if len(lines) != 1 else ''}"
        revision = _revision(state, "adoption", actor, reason, summary)
        return PageCandidateAdopted(
            page_id=page_id,
            against_version=expected_version,
            actor=actor,
            candidate=candidate.analysis,
            candidate_version=candidate_version,
            lines=list(lines) if lines is not None else None,
            reason=reason,
            base=state.current,
            analysis=await store_analysis(artifacts, with_revision(adopted, revision)),
        )

    return await record_edit(store, page_id, actor, decide)


async def request_transcription_import(
    store: EventStore,
    page_id: UUID,
    *,
    source: ArtifactRef,
    source_format: TranscriptionFormat,
    filename: str | None,
    expected_version: int | None,
    reason: str,
    actor: str,
) -> Recorded:
    """The file is stored already; the exporter, which reads PAGE and ALTO, imports it."""

    async def decide(state: Transcription) -> Event:
        if expected_version is not None:
            state.check_against(expected_version)
        return PageTranscriptionImportRequested(
            page_id=page_id,
            against_version=state.stream_version if expected_version is None else expected_version,
            actor=actor,
            source=source,
            source_format=source_format,
            filename=filename,
            reason=reason,
        )

    return await record_edit(store, page_id, actor, decide)
