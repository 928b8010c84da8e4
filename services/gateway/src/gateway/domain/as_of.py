"""`as_of`: a point in the event log, named by a global position or an ISO 8601 instant."""

from __future__ import annotations

import re
from datetime import UTC, datetime

MAX_POSITION = (1 << 63) - 1
AsOf = int | datetime


class MalformedAsOf(ValueError):
    pass


def parse_as_of(text: str) -> AsOf:
    """A position (digits) or an instant; an instant without an offset is taken as UTC.

    A `+` left unescaped in a query string arrives as a space, so a space is read back as `+`.
    """
    value = text.strip().replace(" ", "+")
    if re.fullmatch(r"\d{1,19}", value):
        position = int(value)
        if position <= MAX_POSITION:
            return position
    else:
        try:
            instant = datetime.fromisoformat(value.replace("z", "Z"))
        except ValueError:
            pass
        else:
            return instant if instant.tzinfo else instant.replace(tzinfo=UTC)
    raise MalformedAsOf(
        f"as_of must be a position (an integer from 0 to {MAX_POSITION}) or an ISO 8601 "
        f"instant such as 2025-01-31T12:00:00Z, not {text!r}"
    )


def describe(as_of: AsOf) -> str:
    return f"position {as_of}" if isinstance(as_of, int) else as_of.isoformat()
