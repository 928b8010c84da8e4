"""NATS subject and stream names, in one place.

Every deployment (and every test) has a prefix; the default is `recto`:
  <prefix>.evt.<aggregate>.<event>   domain events, e.g. recto.evt.page.analyzed
  <prefix>.dlq.<consumer>            messages a consumer could not parse, with the reason
"""

from __future__ import annotations


def event_subject(prefix: str, event_type: str) -> str:
    aggregate, name = event_type.split(".", 1)
    return f"{prefix}.evt.{aggregate}.{name}"


def all_events(prefix: str) -> str:
    return f"{prefix}.evt.>"


def dead_letter_subject(prefix: str, consumer: str) -> str:
    return f"{prefix}.dlq.{consumer}"


def events_stream(prefix: str) -> str:
    return f"{prefix.upper().replace('.', '_').replace('-', '_')}_EVENTS"


def dead_letter_stream(prefix: str) -> str:
    return f"{prefix.upper().replace('.', '_').replace('-', '_')}_DEAD_LETTERS"
