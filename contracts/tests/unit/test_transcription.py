import hashlib
import itertools
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from contracts import (
    ArtifactRef,
    EditorialStatus,
    Event,
    Metadata,
    PageAnalyzed,
    PageCandidateAdopted,
    PageCorrected,
    PageExported,
    PageStatusChanged,
    RecordedEvent,
)
from contracts.editions import ALLOWED_TRANSITIONS, may_move
from contracts.errors import VersionConflict
from contracts.operations import EditLineText
from contracts.transcription import events_as_of, fold_transcription

PAGE = UUID(int=1)
START = datetime(2025, 1, 1, tzinfo=UTC)


def ref(name: str) -> ArtifactRef:
    return ArtifactRef(sha256=hashlib.sha256(name.encode()).hexdigest(), media_type="x", bytes=1)


class Stream:
    def __init__(self) -> None:
        self.events: list[RecordedEvent] = []

    def add(self, event: Event, actor: str = "someone") -> RecordedEvent:
        version = len(self.events) + 1
        recorded = RecordedEvent(
            position=version * 100,
            event_id=uuid4(),
            stream_id=f"page-{PAGE}",
            stream_version=version,
            type=event.type,
            schema_version=event.schema_version,
            occurred_at=START + timedelta(minutes=version),
            metadata=Metadata(actor=actor),
            data=event,
        )
        self.events.append(recorded)
        return recorded


def analyzed(name: str) -> PageAnalyzed:
    return PageAnalyzed(page_id=PAGE, analysis=ref(name), engine="tesseract", duration_ms=1)


def corrected(base: str, result: str, against: int) -> PageCorrected:
    return PageCorrected(
        page_id=PAGE,
        against_version=against,
        actor="ada",
        reason="typo",
        operations=[EditLineText(line_id="l1", text="x")],
        base=ref(base),
        analysis=ref(result),
    )


def test_a_newer_machine_result_replaces_a_machine_text() -> None:
    stream = Stream()
    stream.add(analyzed("m1"))
    stream.add(analyzed("m2"))
    state = fold_transcription(stream.events)
    assert (state.current, state.text_version, state.candidates) == (ref("m2"), 2, {})


def test_after_a_correction_a_machine_result_is_only_a_candidate() -> None:
    stream = Stream()
    stream.add(analyzed("m1"))
    stream.add(corrected("m1", "c1", 1))
    stream.add(analyzed("m2"))
    state = fold_transcription(stream.events)
    assert state.current == ref("c1")
    assert state.text_version == 2
    assert list(state.candidates) == [3]
    assert [(s.version, s.became) for s in state.steps] == [
        (1, "current"),
        (2, "current"),
        (3, "candidate"),
    ]
    assert state.steps[1].summary == "edit_line_text: typo"
    assert state.steps[1].actor == "ada"


def test_adopting_a_whole_candidate_makes_it_current_and_drops_it() -> None:
    stream = Stream()
    stream.add(analyzed("m1"))
    stream.add(corrected("m1", "c1", 1))
    stream.add(analyzed("m2"))
    stream.add(
        PageCandidateAdopted(
            page_id=PAGE,
            against_version=3,
            actor="ada",
            candidate=ref("m2"),
            candidate_version=3,
            analysis=ref("m2"),
        )
    )
    state = fold_transcription(stream.events)
    assert (state.current, state.candidates) == (ref("m2"), {})


def test_a_reviewed_page_keeps_its_text_against_re_analysis() -> None:
    stream = Stream()
    stream.add(analyzed("m1"))
    stream.add(
        PageStatusChanged(
            page_id=PAGE,
            against_version=1,
            actor="ada",
            previous=EditorialStatus.MACHINE_DRAFT,
            status=EditorialStatus.NEEDS_REVIEW,
        )
    )
    stream.add(analyzed("m2"))
    state = fold_transcription(stream.events)
    assert state.current == ref("m1")
    assert list(state.candidates) == [3]


def test_writes_conflict_only_with_what_they_depend_on() -> None:
    stream = Stream()
    stream.add(analyzed("m1"))
    stream.add(corrected("m1", "c1", 1))
    stream.add(PageExported(page_id=PAGE, analysis=ref("c1"), formats={}))
    state = fold_transcription(stream.events)
    # The export changed neither text nor status: a correction read at 2 or 3 still applies.
    state.check_against(2)
    state.check_against(3)
    with pytest.raises(VersionConflict) as stale:
        state.check_against(1)
    assert stale.value.current_version == 3
    with pytest.raises(VersionConflict, match="does not exist yet"):
        state.check_against(4)


def test_as_of_cuts_by_position_or_by_time() -> None:
    stream = Stream()
    stream.add(analyzed("m1"))
    stream.add(corrected("m1", "c1", 1))
    assert fold_transcription(events_as_of(stream.events, 150)).current == ref("m1")
    at = START + timedelta(minutes=2)
    assert fold_transcription(events_as_of(stream.events, at)).current == ref("c1")
    assert events_as_of(stream.events, START) == []


def test_every_status_can_go_back_to_review_and_forward_one_step() -> None:
    order = list(EditorialStatus)
    for current, following in itertools.pairwise(order):
        assert may_move(current, following)
    for status in order[2:]:
        assert may_move(status, EditorialStatus.NEEDS_REVIEW)
    assert not may_move(EditorialStatus.MACHINE_DRAFT, EditorialStatus.PUBLISHED)
    assert set(ALLOWED_TRANSITIONS) == set(EditorialStatus)
