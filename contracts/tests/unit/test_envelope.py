from datetime import UTC, datetime
from uuid import uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contracts import (
    CorpusCreated,
    Metadata,
    RecordedEvent,
    decode_event,
    recorded_from_wire,
)
from contracts.errors import InvalidEventData, UnknownEventType, UnsupportedSchemaVersion
from contracts.subjects import event_subject


def recorded(event: CorpusCreated) -> RecordedEvent:
    return RecordedEvent(
        position=42,
        event_id=uuid4(),
        stream_id=f"corpus-{event.corpus_id}",
        stream_version=1,
        type=event.type,
        schema_version=event.schema_version,
        occurred_at=datetime.now(UTC),
        metadata=Metadata(correlation_id=uuid4(), actor="gateway"),
        data=event,
    )


@given(slug=st.from_regex(r"[a-z0-9][a-z0-9-]{0,20}", fullmatch=True), title=st.text(min_size=1))
def test_wire_round_trip(slug: str, title: str) -> None:
    event = CorpusCreated(corpus_id=uuid4(), slug=slug, title=title, profile="default")
    original = recorded(event)
    assert recorded_from_wire(original.to_wire()) == original


def test_v1_payload_is_upcast_to_v2() -> None:
    corpus_id = uuid4()
    event = decode_event(
        "corpus.created", 1, {"corpus_id": str(corpus_id), "slug": "a", "title": "A"}
    )
    assert event == CorpusCreated(corpus_id=corpus_id, slug="a", title="A", profile="default")


def test_newer_version_than_known_is_refused() -> None:
    with pytest.raises(UnsupportedSchemaVersion, match="version 3 is newer"):
        decode_event("corpus.created", 3, {})


def test_unknown_type_and_bad_data_are_refused() -> None:
    with pytest.raises(UnknownEventType):
        decode_event("corpus.renamed", 1, {})
    with pytest.raises(InvalidEventData, match=r"corpus\.created"):
        decode_event("corpus.created", 2, {"slug": "x"})
    with pytest.raises(InvalidEventData, match="not an event envelope"):
        recorded_from_wire({"data": {}})


def test_subjects_mirror_event_types() -> None:
    assert event_subject("recto", "page.image_normalized") == "recto.evt.page.image_normalized"
