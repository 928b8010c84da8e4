"""`kill -9` of each process, one at a time, in the middle of a 60-page import under `recto up`:
the supervisor restarts it, the job finishes, every page is exported exactly once."""

from __future__ import annotations

import time

import pytest

from .chaos_support import SOAK_ROUNDS, Chaos, Figures, kill_hard, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PAGES = 60
RECOVERY_LIMIT = 20.0
VICTIMS = ["relay", "ingest", "analyzer-1", "exporter", "gateway"]


def kill_mid_import(chaos: Chaos, victim: str, round_: int) -> tuple[Figures, str]:
    replica = chaos.stack.replicas[victim]
    service = victim.split("-")[0]
    with chaos.importing(PAGES) as job:
        # A third of the pages through the whole pipeline: the import is under way.
        job.let_through(PAGES // 3)
        job.wait_for_exports(PAGES // 3)
        killed_pid = replica.pid
        assert killed_pid is not None
        kill_hard(killed_pid)
        killed_at = time.monotonic()
        job.let_through(PAGES)

        wait_until(
            lambda: replica.pid not in (None, killed_pid) and replica.running(),
            f"{victim} restarted",
        )
        wait_until(lambda: chaos.ready(service), f"{service} ready again")
        recovered = time.monotonic() - killed_at
        status = job.wait_until_finished()["status"]
    return job.figures(f"kill -9 {victim} (round {round_})", recover_seconds=recovered), status


@pytest.mark.parametrize("victim", VICTIMS)
def test_a_killed_process_is_restarted_and_nothing_is_lost_or_doubled(
    chaos: Chaos, victim: str
) -> None:
    for round_ in range(1, SOAK_ROUNDS + 1):
        figures, status = kill_mid_import(chaos, victim, round_)
        figures.report()

        assert status == "done"
        assert figures.pages == PAGES
        assert figures.lost == 0
        assert figures.doubled == 0
        assert figures.exported == PAGES
        assert figures.recover_seconds is not None
        assert figures.recover_seconds <= RECOVERY_LIMIT
