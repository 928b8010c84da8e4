"""A page's current transcription, folded from its stream (pure: artifacts stay references).

The current text is the latest machine result until a human has worked on the page (a
correction, an adopted candidate, an import, or a status beyond machine draft); from then
on a newer machine result is kept as a *candidate* and the text changes only by human hand.
Every event that changed the text or the status is a step of the page's history.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal
from uuid import UUID

from contracts.editions import (
    EditorialStatus,
    PageCandidateAdopted,
    PageCorrected,
    PageStatusChanged,
    PageTranscriptionImported,
    PageTranscriptionImportFailed,
    PageTranscriptionImportRequested,
)
from contracts.envelope import RecordedEvent
from contracts.errors import VersionConflict
from contracts.page import PageAnalyzed, PageExported, PageImageNormalized, PageRegistered
from contracts.values import ArtifactRef, ImageRef

Became = Literal["current", "candidate", "status"]


@dataclass(frozen=True)
class Candidate:
    """A machine result recorded after a human took over the page."""

    version: int
    position: int
    recorded_at: datetime
    analysis: ArtifactRef
    engine: str


@dataclass(frozen=True)
class Step:
    """One version of the page's transcription or status."""

    version: int
    position: int
    recorded_at: datetime
    actor: str | None
    type: str
    became: Became
    summary: str
    analysis: ArtifactRef | None
    """The transcription current after this step (a candidate's own result for candidates)."""
    status: EditorialStatus


@dataclass(frozen=True)
class ImportState:
    request_id: UUID
    version: int
    state: Literal["pending", "imported", "failed"] = "pending"
    imported_version: int | None = None
    reason: str | None = None


@dataclass
class Transcription:
    stream_version: int = 0
    position: int = 0
    registered: PageRegistered | None = None
    master: ImageRef | None = None
    current: ArtifactRef | None = None
    text_version: int = 0
    """The stream version of the event that made the current text."""
    status: EditorialStatus = EditorialStatus.MACHINE_DRAFT
    status_version: int = 0
    human_text: bool = False
    candidates: dict[int, Candidate] = field(default_factory=dict)
    steps: list[Step] = field(default_factory=list)
    imports: dict[UUID, ImportState] = field(default_factory=dict)
    last_export: RecordedEvent | None = None

    @property
    def human(self) -> bool:
        """Whether a human has shaped the text or judged it."""
        return self.human_text or self.status is not EditorialStatus.MACHINE_DRAFT

    @property
    def edition_version(self) -> int:
        """The latest version that changed what an export of the page contains."""
        return max(self.text_version, self.status_version)

    def check_against(self, expected: int, *, judging: bool = False) -> None:
        """Refuse a write made against `expected` if the text (or, for a status, the text or
        the status) changed after it; events that change neither do not conflict."""
        latest = self.edition_version if judging else self.text_version
        if expected > self.stream_version:
            raise VersionConflict(
                f"version {expected} does not exist yet; the page is at version "
                f"{self.stream_version}",
                current_version=self.stream_version,
            )
        if expected < latest:
            what = "transcription or status" if judging else "transcription"
            raise VersionConflict(
                f"the {what} changed at version {latest}, after version {expected}; read "
                f"version {self.stream_version} and apply the change again",
                current_version=self.stream_version,
            )

    def apply(self, recorded: RecordedEvent) -> None:
        self.stream_version, self.position = recorded.stream_version, recorded.position
        event = recorded.data
        if isinstance(event, PageRegistered) and self.registered is None:
            self.registered = event
        elif isinstance(event, PageImageNormalized):
            self.master = event.master
        elif isinstance(event, PageAnalyzed):
            self._analyzed(recorded, event)
        elif isinstance(event, PageCorrected):
            self._text(recorded, event.analysis, _operations_summary(event))
        elif isinstance(event, PageCandidateAdopted):
            if event.lines is None:
                self.candidates.pop(event.candidate_version, None)
            self._text(recorded, event.analysis, _adoption_summary(event))
        elif isinstance(event, PageTranscriptionImported):
            self._import_settled(event.request_id, "imported", recorded.stream_version)
            name = f" {event.filename}" if event.filename else ""
            summary = f"imported {event.source_format.upper()} file{name}"
            self._text(recorded, event.analysis, summary)
        elif isinstance(event, PageTranscriptionImportRequested):
            self.imports[recorded.event_id] = ImportState(
                recorded.event_id, recorded.stream_version
            )
        elif isinstance(event, PageTranscriptionImportFailed):
            self._import_settled(event.request_id, "failed", None, event.reason)
        elif isinstance(event, PageStatusChanged):
            self.status, self.status_version = event.status, recorded.stream_version
            summary = f"{event.previous.value} → {event.status.value}"
            self._step(recorded, "status", summary + (f": {event.reason}" if event.reason else ""))
        elif isinstance(event, PageExported):
            self.last_export = recorded

    def _import_settled(
        self,
        request_id: UUID,
        state: Literal["imported", "failed"],
        version: int | None,
        reason: str | None = None,
    ) -> None:
        known = self.imports.get(request_id)
        requested = known.version if known else 0
        self.imports[request_id] = ImportState(request_id, requested, state, version, reason)

    def _analyzed(self, recorded: RecordedEvent, event: PageAnalyzed) -> None:
        if self.human:
            self.candidates[recorded.stream_version] = Candidate(
                recorded.stream_version,
                recorded.position,
                recorded.occurred_at,
                event.analysis,
                event.engine,
            )
            self._step(
                recorded,
                "candidate",
                f"machine result by {event.engine}, kept as a candidate",
                analysis=event.analysis,
            )
            return
        self.current, self.text_version = event.analysis, recorded.stream_version
        self._step(recorded, "current", f"machine result by {event.engine}")

    def _text(self, recorded: RecordedEvent, analysis: ArtifactRef, summary: str) -> None:
        self.current, self.text_version = analysis, recorded.stream_version
        self.human_text = True
        self._step(recorded, "current", summary)

    def _step(
        self,
        recorded: RecordedEvent,
        became: Became,
        summary: str,
        *,
        analysis: ArtifactRef | None = None,
    ) -> None:
        self.steps.append(
            Step(
                version=recorded.stream_version,
                position=recorded.position,
                recorded_at=recorded.occurred_at,
                actor=getattr(recorded.data, "actor", None) or recorded.actor,
                type=recorded.type,
                became=became,
                summary=summary,
                analysis=analysis or self.current,
                status=self.status,
            )
        )


def fold_transcription(events: Iterable[RecordedEvent]) -> Transcription:
    state = Transcription()
    for recorded in events:
        state.apply(recorded)
    return state


def events_as_of(events: Sequence[RecordedEvent], as_of: int | datetime) -> list[RecordedEvent]:
    """The events recorded at or before a global position, or an instant."""
    if isinstance(as_of, datetime):
        return [e for e in events if e.occurred_at <= as_of]
    return [e for e in events if e.position <= as_of]


def _operations_summary(event: PageCorrected) -> str:
    counts = Counter(op.op for op in event.operations)
    ops = ", ".join(f"{name}×{n}" if n > 1 else name for name, n in counts.items())
    return ops + (f": {event.reason}" if event.reason else "")


def _adoption_summary(event: PageCandidateAdopted) -> str:
    what = "whole" if event.lines is None else f"lines {', '.join(event.lines)}"
    text = f"adopted the candidate of version {event.candidate_version} ({what})"
    return text + (f": {event.reason}" if event.reason else "")
