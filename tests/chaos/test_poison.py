"""Poison on the bus and a page whose analysis always fails: every poison message is parked
on the dead-letter stream with its reason, the consumers go on, and the job completes with
exactly those pages failed."""

from __future__ import annotations

import asyncio
import json

import nats
import pytest

from contracts import EngineStep, Plan
from contracts.subjects import dead_letter_stream, event_subject

from .chaos_support import Chaos, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PREFIX = "recto"
POISON = {
    "overflowing number": b'{"schema_version": 1e400, "type": "page.image_normalized"}',
    "200,000-deep JSON": b"[" * 200_000 + b"]" * 200_000,
    "invalid UTF-8": b'{"type": "page.image_normalized", "data": "\xff\xfe"}',
    "not JSON": b"this is not an event",
    "wrong shape": b'{"type": "page.image_normalized", "data": 42}',
}
# Each poison goes to a subject each consuming service reads.
SUBJECTS = ["page.image_normalized", "page.analyzed", "manuscript.import_requested"]


async def publish_poison(nats_url: str) -> int:
    client = await nats.connect(nats_url)
    try:
        js = client.jetstream()
        for event_type in SUBJECTS:
            for payload in POISON.values():
                await js.publish(event_subject(PREFIX, event_type), payload)
        return len(SUBJECTS) * len(POISON)
    finally:
        await client.close()


async def dead_letters(nats_url: str) -> list[dict[str, object]]:
    client = await nats.connect(nats_url)
    try:
        js = client.jetstream()
        info = await js.stream_info(dead_letter_stream(PREFIX))
        letters = []
        for sequence in range(info.state.first_seq, info.state.last_seq + 1):
            message = await js.get_msg(dead_letter_stream(PREFIX), seq=sequence)
            letters.append(json.loads(message.data or b"{}"))
        return letters
    finally:
        await client.close()


def test_poison_is_parked_and_failing_pages_end_failed(chaos: Chaos) -> None:
    nats_url = chaos.stack.nats_url
    published = asyncio.run(publish_poison(nats_url))

    # Every poison message reaches at least one consumer, which parks it with a reason.
    def parked() -> list[dict[str, object]]:
        return asyncio.run(dead_letters(nats_url))

    wait_until(lambda: len(parked()) >= published, "every poison message dead-lettered")
    letters = parked()
    assert all(letter.get("reason") for letter in letters), letters
    services = {str(letter["consumer"]).split("-")[0] for letter in letters}
    assert services >= {"ingest", "analyzer", "exporter"}

    # The consumers went on: a good import completes, and one whose analysis always fails
    # (its engine's endpoint does not answer) completes with every page failed.
    with chaos.importing(10) as good:
        good.let_through(10)
        good_job = good.wait_until_finished()
    failing_plan = Plan(primary=EngineStep(engine="vlm", languages=["eng"]))
    with chaos.importing(3, failing_plan) as failing:
        failing.let_through(3)
        failing_job = failing.wait_until_finished()

    good.figures("poison, then a good import", extra={"dead_lettered": len(letters)}).report()
    failing_figures = failing.figures("analysis that always fails")
    failing_figures.report()
    assert good_job["status"] == "done"
    assert good_job["counts"]["exported"] == 10
    assert failing_job["status"] in ("done", "failed")
    assert failing_job["counts"]["failed"] == 3
    assert failing_figures.failed == 3
    assert failing_figures.lost == 0
