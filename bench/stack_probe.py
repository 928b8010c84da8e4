"""CPU time and resident memory of a running stack's processes, by service.

Services are the stack's own processes (`analyzer-1`, `gateway`…). PostgreSQL is counted as
its postmaster plus every backend; `pg_ctl` detaches the postmaster, so it is found through
`postmaster.pid`. A backend that exits leaves its CPU time in the postmaster's children
times, which are counted too, so no work is lost between two readings.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path

import psutil

from recto.stack import Stack

MB = 1024 * 1024


class StackProbe:
    def __init__(self, stack: Stack, state_dir: Path) -> None:
        self.services = {name: psutil.Process(p.pid) for name, p in stack.processes.items()}
        pid_file = state_dir / "postgres" / "pgdata" / "postmaster.pid"
        self.postmaster = psutil.Process(int(pid_file.read_text().splitlines()[0]))
        self.nats = next(
            (c for c in psutil.Process().children(recursive=True) if "nats" in c.name()), None
        )
        self.bench = psutil.Process()

    def cpu_seconds(self) -> dict[str, float]:
        """Cumulated CPU seconds (user + system) of each service, of the servers, of the bench."""
        seconds = {name: _cpu(process) for name, process in self.services.items()}
        postgres = self.postmaster.cpu_times()
        seconds["postgres"] = (
            postgres.children_user + postgres.children_system + _cpu(self.postmaster)
        )
        for backend in self.postmaster.children(recursive=True):
            with contextlib.suppress(psutil.NoSuchProcess):
                seconds["postgres"] += _cpu(backend)
        if self.nats is not None:
            seconds["nats"] = _cpu(self.nats)
        seconds["bench (image server, client)"] = _cpu(self.bench)
        return seconds

    def rss_mb(self) -> dict[str, float]:
        rss = {}
        for name, process in self.services.items():
            with contextlib.suppress(psutil.NoSuchProcess):
                rss[name] = process.memory_info().rss / MB
        return rss


def _cpu(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


def cpu_per_page_ms(
    before: dict[str, float], after: dict[str, float], pages: int
) -> dict[str, float]:
    return {name: (after[name] - before[name]) * 1000 / pages for name in after if name in before}


@contextlib.contextmanager
def peak_rss(probe: StackProbe, into: dict[str, float], every: float = 0.2) -> Iterator[None]:
    """Sample every service's RSS while the block runs; keep each one's peak in `into`."""
    stop = threading.Event()

    def sample() -> None:
        while True:
            for name, megabytes in probe.rss_mb().items():
                into[name] = max(into.get(name, 0.0), megabytes)
            if stop.wait(every):
                return

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
