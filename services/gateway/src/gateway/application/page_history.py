"""Reading a page's editions: its transcription at any point, its versions, diffs, candidates.

Everything here folds the page's stream as it is in the event store, so a reader sees a
correction as soon as it is recorded, and `as_of` is the same fold cut at a point.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from contracts import (
    ArtifactRef,
    Event,
    ManuscriptExported,
    PageAnalysis,
    PageExported,
    RecordedEvent,
    manuscript_stream,
    page_stream,
)
from contracts.errors import InvalidRequest, ResourceNotFound
from contracts.transcription import Candidate, Step, Transcription, events_as_of, fold_transcription
from gateway.application import text_metrics
from gateway.application.editions import load_analysis
from gateway.domain.as_of import AsOf, describe
from gateway.domain.line_diff import Change, pair_lines
from gateway.domain.models import PageRow
from gateway.domain.reducers import apply_event
from gateway.domain.state import ReadModelState
from infra.artifacts import ArtifactStore
from infra.eventstore import EventStore


async def stream_as_of(
    store: EventStore, stream: str, what: str, as_of: AsOf | None
) -> list[RecordedEvent]:
    events = await store.read_stream(stream)
    if not events:
        raise ResourceNotFound(f"no {what}")
    if as_of is None:
        return events
    earlier = events_as_of(events, as_of)
    if not earlier:
        raise ResourceNotFound(f"{what} did not exist yet at {describe(as_of)}")
    return earlier


async def page_as_of(store: EventStore, page_id: UUID, as_of: AsOf | None) -> list[RecordedEvent]:
    return await stream_as_of(store, page_stream(page_id), f"page {page_id}", as_of)


def latest(events: list[RecordedEvent], model: type[Event]) -> RecordedEvent | None:
    return next((e for e in reversed(events) if isinstance(e.data, model)), None)


async def page_export_as_of(store: EventStore, page_id: UUID, as_of: AsOf) -> PageExported | None:
    """The export recorded by the latest `page.exported` at or before `as_of`."""
    found = latest(await page_as_of(store, page_id, as_of), PageExported)
    return found.data if found and isinstance(found.data, PageExported) else None


async def manuscript_export_as_of(
    store: EventStore, manuscript_id: UUID, as_of: AsOf
) -> ManuscriptExported | None:
    events = await stream_as_of(
        store, manuscript_stream(manuscript_id), f"manuscript {manuscript_id}", as_of
    )
    found = latest(events, ManuscriptExported)
    return found.data if found and isinstance(found.data, ManuscriptExported) else None


class Analyses:
    """Analyses read once per request, however many versions share them."""

    def __init__(self, artifacts: ArtifactStore) -> None:
        self.artifacts = artifacts
        self.loaded: dict[str, PageAnalysis] = {}

    async def get(self, ref: ArtifactRef | None) -> PageAnalysis | None:
        if ref is None:
            return None
        if ref.sha256 not in self.loaded:
            self.loaded[ref.sha256] = await load_analysis(self.artifacts, ref)
        return self.loaded[ref.sha256]


@dataclass(frozen=True)
class LineChange:
    change: Change
    before_id: str | None
    after_id: str | None
    before_text: str | None
    after_text: str | None
    cer: float | None


@dataclass(frozen=True)
class PageDiff:
    cer: float
    wer: float
    lines: list[LineChange]
    unchanged: int


def diff_analyses(before: PageAnalysis | None, after: PageAnalysis | None) -> PageDiff:
    """Changed, moved, added and deleted lines; page-level CER and WER of the whole text."""
    empty = PageAnalysis.model_validate(
        {
            "image": {"width": 1, "height": 1},
            "engine": {"name": "none"},
            "created_at": "1970-01-01T00:00:00Z",
        }
    )
    old, new = before or empty, after or empty
    changes, unchanged = [], 0
    for pair in pair_lines(old, new):
        if pair.change == "unchanged":
            unchanged += 1
            continue
        old_text = pair.before.text if pair.before else None
        new_text = pair.after.text if pair.after else None
        changes.append(
            LineChange(
                pair.change,
                pair.before.id if pair.before else None,
                pair.after.id if pair.after else None,
                old_text,
                new_text,
                text_metrics.cer(old_text or "", new_text or ""),
            )
        )
    old_text, new_text = old.text(), new.text()
    return PageDiff(
        text_metrics.cer(old_text, new_text),
        text_metrics.wer(old_text, new_text),
        changes,
        unchanged,
    )


@dataclass(frozen=True)
class Version:
    step: Step
    cer: float | None
    """Against the text current before this step (a candidate: the text it would replace)."""


async def versions(
    store: EventStore, artifacts: ArtifactStore, page_id: UUID, as_of: AsOf | None
) -> tuple[Transcription, list[Version]]:
    state = fold_transcription(await page_as_of(store, page_id, as_of))
    analyses = Analyses(artifacts)
    listed, previous = [], None
    for step in state.steps:
        analysis = await analyses.get(step.analysis)
        text = analysis.text() if analysis else None
        cer = None
        if step.became != "status" and text is not None:
            cer = text_metrics.cer(previous, text) if previous is not None else None
        if step.became == "current":
            previous = text
        listed.append(Version(step, cer))
    return state, listed


async def diff_versions(
    store: EventStore, artifacts: ArtifactStore, page_id: UUID, first: int, second: int
) -> PageDiff:
    events = await page_as_of(store, page_id, None)
    latest_version = events[-1].stream_version
    for version in (first, second):
        if version > latest_version:
            raise InvalidRequest(
                f"version {version} does not exist; page {page_id} is at version {latest_version}"
            )
    analyses = Analyses(artifacts)
    before = fold_transcription(events[:first]).current
    after = fold_transcription(events[:second]).current
    return diff_analyses(await analyses.get(before), await analyses.get(after))


async def candidates(
    store: EventStore, artifacts: ArtifactStore, page_id: UUID
) -> tuple[Transcription, list[tuple[Candidate, PageDiff]]]:
    state = fold_transcription(await page_as_of(store, page_id, None))
    analyses = Analyses(artifacts)
    current = await analyses.get(state.current)
    offered = []
    for candidate in sorted(state.candidates.values(), key=lambda c: -c.version):
        offered.append((candidate, diff_analyses(current, await analyses.get(candidate.analysis))))
    return state, offered


async def page_row_as_of(store: EventStore, page_id: UUID, as_of: AsOf) -> PageRow:
    """The page's read-model row as the projection held it at `as_of` (the same reducers)."""
    state = ReadModelState()
    for event in await page_as_of(store, page_id, as_of):
        apply_event(state, event)
    row = state.pages.get(page_id)
    if row is None:
        raise ResourceNotFound(f"page {page_id} was not registered yet at {describe(as_of)}")
    return row
