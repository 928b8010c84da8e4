"""Whatever bytes arrive, decoding ends in a ContractError: the runtime can park the message."""

import base64
import contextlib
import json
from datetime import UTC, datetime
from uuid import uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contracts import JobCancelled, Metadata, RecordedEvent
from contracts.errors import ContractError, InvalidEventData
from infra.messaging.dead_letters import MAX_PAYLOAD_BYTES, Rejection, dead_letter
from infra.messaging.decoding import decode_message


def envelope(**changes: object) -> dict[str, object]:
    event = JobCancelled(job_id=uuid4(), reason="r")
    wire = RecordedEvent(
        position=1,
        event_id=uuid4(),
        stream_id="job-x",
        stream_version=1,
        type=event.type,
        schema_version=event.schema_version,
        occurred_at=datetime.now(UTC),
        metadata=Metadata(),
        data=event,
    ).to_wire()
    return {**wire, **changes}


POISON = {
    "schema version 1e400": b'{"type": "job.cancelled", "schema_version": 1e400, "data": {}}',
    "200,000-deep JSON": b"[" * 200_000 + b"]" * 200_000,
    "invalid UTF-8": b"\xff\xfe\xfa not json",
    "not JSON": b"<html>502 Bad Gateway</html>",
    "a JSON list": b"[1, 2, 3]",
    "a JSON string": b'"job.cancelled"',
    "type is a number": json.dumps(envelope(type=7)).encode(),
    "version is a string": json.dumps(envelope(schema_version="1")).encode(),
    "version is true": json.dumps(envelope(schema_version=True)).encode(),
    "version is 1.5": json.dumps(envelope(schema_version=1.5)).encode(),
    "data is a list": json.dumps(envelope(data=[])).encode(),
    "wrong data shape": json.dumps(envelope(data={"job_id": [1]})).encode(),
    "position is a string": json.dumps(envelope(position="first")).encode(),
    "huge integer": b'{"type": "job.cancelled", "schema_version": 1' + b"0" * 5000 + b"}",
}


@pytest.mark.parametrize("payload", POISON.values(), ids=POISON.keys())
def test_poison_becomes_a_contract_error(payload: bytes) -> None:
    with pytest.raises(ContractError):
        decode_message(payload)


def test_a_good_envelope_decodes() -> None:
    wire = envelope()
    decoded = decode_message(json.dumps(wire).encode())
    assert str(decoded.event_id) == wire["event_id"]
    assert isinstance(decoded.data, JobCancelled)


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("schema version 1e400", "schema version is not an integer: inf"),
        ("200,000-deep JSON", "not JSON: nested too deeply"),
        ("invalid UTF-8", "not JSON"),
        ("a JSON list", "not an event envelope: a JSON list"),
    ],
)
def test_the_reason_says_what_is_wrong(name: str, reason: str) -> None:
    with pytest.raises(InvalidEventData, match=reason):
        decode_message(POISON[name])


@given(st.binary(max_size=200))
def test_arbitrary_bytes_never_escape_as_another_error(payload: bytes) -> None:
    with contextlib.suppress(ContractError):
        decode_message(payload)


@given(st.recursive(st.none() | st.booleans() | st.floats() | st.text(), st.lists, max_leaves=30))
def test_arbitrary_json_never_escapes_as_another_error(value: object) -> None:
    with contextlib.suppress(ContractError):
        decode_message(
            json.dumps({"type": "job.cancelled", "schema_version": 1, "data": value}).encode()
        )


def test_a_dead_letter_keeps_the_reason_and_a_bounded_payload() -> None:
    rejection = Rejection.of(InvalidEventData("not JSON: nested too deeply"), "decode")
    payload = b"[" * (2 * MAX_PAYLOAD_BYTES)
    letter = json.loads(dead_letter("analyzer", "recto.evt.page.x", payload, rejection))
    assert letter["code"] == "invalid-event-data"
    assert letter["reason"] == "not JSON: nested too deeply"
    assert letter["stage"] == "decode"
    assert letter["payload_bytes"] == 2 * MAX_PAYLOAD_BYTES
    assert letter["payload_truncated"] is True
    assert len(letter["payload"]) == MAX_PAYLOAD_BYTES


def test_binary_payloads_travel_as_base64_and_other_errors_get_a_generic_code() -> None:
    rejection = Rejection.of(RecursionError("too deep"), "handle", deliveries=5)
    letter = json.loads(dead_letter("exporter", "s", b"\xff\x00", rejection))
    assert base64.b64decode(letter["payload_base64"]) == b"\xff\x00"
    assert letter["code"] == "handler-failed"
    assert letter["reason"] == "RecursionError: too deep"
    assert letter["deliveries"] == 5
