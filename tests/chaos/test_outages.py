"""NATS or PostgreSQL taken away mid-import and brought back on the same port with the same
data: every service reconnects by itself, `/readyz` says not ready meanwhile and ready after,
the job finishes with nothing lost or doubled."""

from __future__ import annotations

import threading
import time

import pytest

from .chaos_support import SOAK_ROUNDS, Chaos, Figures, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PAGES = 60
OUTAGES = [("nats", 10.0), ("postgres", 10.0), ("postgres", 60.0), ("nats", 180.0)]


def outage_mid_import(
    chaos: Chaos, server: str, seconds: float, round_: int
) -> tuple[Figures, str]:
    with chaos.importing(PAGES) as job:
        job.let_through(PAGES // 3)
        job.wait_for_exports(PAGES // 3)
        chaos.servers.take_down(server)
        job.let_through(PAGES)
        # The outage lasts `seconds`, the scenario's own length; meanwhile the gateway must
        # say it is not ready.
        over = threading.Event()
        timer = threading.Timer(seconds, over.set)
        timer.start()
        try:
            wait_until(lambda: not chaos.gateway_ready() or over.is_set(), "readyz during outage")
            said_not_ready = not over.is_set()
            over.wait()
        finally:
            timer.cancel()
        chaos.servers.bring_up(server)
        back_at = time.monotonic()
        wait_until(chaos.ready, "every service ready after the outage")
        recovered = time.monotonic() - back_at
        status = job.wait_until_finished()["status"]
    figures = job.figures(
        f"{server} down {seconds:.0f} s (round {round_})",
        recover_seconds=recovered,
        extra={"readyz_said_not_ready": said_not_ready},
    )
    return figures, status


@pytest.mark.parametrize(("server", "seconds"), OUTAGES, ids=[f"{s}-{t:.0f}s" for s, t in OUTAGES])
def test_every_service_recovers_by_itself_after_an_outage(
    chaos: Chaos, server: str, seconds: float
) -> None:
    for round_ in range(1, SOAK_ROUNDS + 1):
        figures, status = outage_mid_import(chaos, server, seconds, round_)
        figures.report()

        assert figures.extra["readyz_said_not_ready"], f"/readyz said ready with {server} down"
        assert status == "done"
        assert figures.pages == PAGES
        assert figures.lost == 0
        assert figures.doubled == 0
        assert figures.exported == PAGES
