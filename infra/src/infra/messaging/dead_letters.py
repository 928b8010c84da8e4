"""Dead letters: messages a consumer will never handle, parked on `<prefix>.dlq.<consumer>`.

A letter is JSON: the consumer, the original subject, a machine-readable `code`, a `reason`,
the `stage` that gave up (`decode`: the message was never understood; `handle`: the handler
failed on every allowed delivery and no final-failure hook took over), and the original
payload — cut to `MAX_PAYLOAD_BYTES` so the letter always fits NATS's message size limit.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from contracts.errors import RectoError

MAX_PAYLOAD_BYTES = 256 * 1024
MAX_REASON_CHARS = 2000

Stage = Literal["decode", "handle"]


@dataclass(frozen=True)
class Rejection:
    code: str
    reason: str
    stage: Stage
    deliveries: int = 1

    @classmethod
    def of(cls, error: BaseException, stage: Stage, deliveries: int = 1) -> Rejection:
        if isinstance(error, RectoError):
            code, reason = error.code, str(error)
        else:
            code = "undecodable-message" if stage == "decode" else "handler-failed"
            reason = f"{type(error).__name__}: {error}"
        return cls(code, _cut(reason, MAX_REASON_CHARS), stage, deliveries)


def dead_letter(consumer: str, subject: str, payload: bytes, rejection: Rejection) -> bytes:
    letter: dict[str, Any] = {
        "consumer": consumer,
        "subject": subject,
        "code": rejection.code,
        "reason": rejection.reason,
        "stage": rejection.stage,
        "deliveries": rejection.deliveries,
        "received_at": datetime.now(UTC).isoformat(),
        "payload_bytes": len(payload),
    }
    kept = payload[:MAX_PAYLOAD_BYTES]
    if len(kept) < len(payload):
        letter["payload_truncated"] = True
    try:
        letter["payload"] = kept.decode()
    except UnicodeDecodeError:
        letter["payload_base64"] = base64.b64encode(kept).decode()
    return json.dumps(letter).encode()


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text)} characters)"
