"""Reading back what JetStream holds, for tests and benchmarks."""

from __future__ import annotations

import json
from typing import Any

from nats.js import JetStreamContext
from nats.js.errors import NotFoundError

from contracts.subjects import events_stream


async def stream_messages(js: JetStreamContext, prefix: str) -> list[dict[str, Any]]:
    """Every message of the event stream, in stream order, as parsed JSON envelopes."""
    stream = events_stream(prefix)
    try:
        info = await js.stream_info(stream)
    except NotFoundError:
        return []
    messages = []
    sequence = info.state.first_seq
    while sequence and sequence <= info.state.last_seq:
        message = await js.get_msg(stream, seq=sequence)
        messages.append(json.loads(message.data or b"{}"))
        sequence += 1
    return messages
