"""A redelivery storm: with an `ack_wait` far below what the work takes on a busy machine,
messages are delivered again while their first delivery still runs. Nothing takes effect twice:
each page is normalized, analyzed and exported once, and the artifact store holds nothing that
no event names."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from .chaos_support import Chaos

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PAGES = 40
CHAOS_ENV = {"RECTO_ACK_WAIT_SECONDS": "0.3", "RECTO_MAX_DELIVER": "50"}
ONCE_PER_PAGE = ("page.image_normalized", "page.analyzed", "page.exported")


def redelivered(chaos: Chaos) -> int:
    """Messages JetStream has delivered again and not yet seen acknowledged, now."""
    consumers = chaos.client.http.get("/consumers").json()["items"]
    return sum(int(c.get("redelivered") or 0) for c in consumers)


def watch_redeliveries(chaos: Chaos, done: threading.Event, peak: list[int]) -> None:
    """JetStream counts only redeliveries still pending: sample them while the job runs."""
    while not done.wait(0.2):
        peak[0] = max(peak[0], redelivered(chaos))


def referenced_artifacts(chaos: Chaos) -> set[str]:
    rows = chaos.query(
        "SELECT DISTINCT m[1] AS sha FROM events, "
        "regexp_matches(data::text, '\"sha256\": ?\"([0-9a-f]{64})\"', 'g') AS m"
    )
    return {row["sha"] for row in rows}


def stored_artifacts(root: Path) -> set[str]:
    return {path.name for path in root.rglob("*") if path.is_file() and len(path.name) == 64}


def test_a_redelivery_storm_has_no_second_effect(chaos: Chaos) -> None:
    peak, done = [0], threading.Event()
    watcher = threading.Thread(target=watch_redeliveries, args=(chaos, done, peak))
    with chaos.importing(PAGES) as job:
        watcher.start()
        job.let_through(PAGES)
        finished = job.wait_until_finished()
    done.set()
    watcher.join()

    per_type = {t: chaos.events_per_page(t, job.job_id) for t in ONCE_PER_PAGE}
    twice = {t: [p for p, n in pages.items() if n > 1] for t, pages in per_type.items()}
    extra = {"redelivered_pending_peak": peak[0]}
    figures = job.figures("redelivery storm (ack_wait 0.3 s)", extra=extra)
    figures.report()

    assert finished["status"] == "done"
    assert figures.exported == PAGES
    assert twice == {t: [] for t in ONCE_PER_PAGE}
    artifacts = Path(chaos.stack.environment["RECTO_ARTIFACTS"])
    assert stored_artifacts(artifacts) <= referenced_artifacts(chaos)
    assert not list(artifacts.rglob(".incoming-*")), "a write was left half done"
