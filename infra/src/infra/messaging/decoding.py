"""Bytes from the bus to a `RecordedEvent`, or a `ContractError` saying why not.

Whatever a message holds — invalid UTF-8, `1e400` where an integer belongs, JSON nested
200,000 deep — decoding ends in a `ContractError`, so the consumer runtime parks the message on
the dead-letter subject instead of failing it until JetStream gives up on it.
"""

from __future__ import annotations

import json

from contracts import RecordedEvent, recorded_from_wire
from contracts.errors import ContractError, InvalidEventData


def decode_message(data: bytes) -> RecordedEvent:
    try:
        wire = json.loads(data)
    except RecursionError as error:
        raise InvalidEventData("not JSON: nested too deeply") from error
    except ValueError as error:  # includes UnicodeDecodeError
        raise InvalidEventData(f"not JSON: {error}") from error
    try:
        return recorded_from_wire(wire)
    except ContractError:
        raise
    except Exception as error:  # an upcaster or a validator tripped on a shape it never expected
        raise InvalidEventData(f"cannot decode: {type(error).__name__}: {error}") from error
