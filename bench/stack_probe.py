"""CPU time and resident memory of a running stack's processes, by service.

Services are the stack's own processes (`analyzer-1`, `gateway`…). PostgreSQL is counted as
its postmaster plus every backend; `pg_ctl` detaches the postmaster, whose pid the supervisor
knows (from `postmaster.pid`), as it knows NATS's. A backend that exits leaves its CPU time in
the postmaster's children times, which are counted too, so no work is lost between readings.
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
    def __init__(self, stack: Stack) -> None:
        self.services = {name: psutil.Process(p.pid) for name, p in stack.processes.items()}
        servers = {c.name: c.pid for c in stack.supervisor.children if c.pid is not None}
        # Absent when the stack uses servers of its own (RECTO_DATABASE_URL, RECTO_NATS_URL).
        self.postmaster = psutil.Process(servers["postgres"]) if "postgres" in servers else None
        self.nats = psutil.Process(servers["nats"]) if "nats" in servers else None
        self.bench = psutil.Process()

    def cpu_seconds(self) -> dict[str, float]:
        """Cumulated CPU seconds (user + system) of each service, of the servers, of the bench."""
        seconds = {name: _cpu(process) for name, process in self.services.items()}
        if self.postmaster is not None:
            seconds["postgres"] = postgres_cpu(self.postmaster)
        if self.nats is not None:
            seconds["nats"] = _cpu(self.nats)
        seconds["bench (image server, client)"] = _cpu(self.bench)
        return seconds

    def wakeups(self) -> dict[str, int]:
        """Context switches so far of each process (PostgreSQL: of every live backend): how
        often each woke up, a count the machine's load does not inflate as it does CPU time."""
        counts = {name: switches(process) for name, process in self.services.items()}
        if self.postmaster is not None:
            counts["postgres"] = switches(self.postmaster) + sum(
                switches(backend) for backend in self.postmaster.children(recursive=True)
            )
        if self.nats is not None:
            counts["nats"] = switches(self.nats, every_thread=True)
        return counts

    def rss_mb(self) -> dict[str, float]:
        rss = {}
        for name, process in self.services.items():
            with contextlib.suppress(psutil.NoSuchProcess):
                rss[name] = process.memory_info().rss / MB
        return rss


def postgres_cpu(postmaster: psutil.Process) -> float:
    """The postmaster's, its backends' and its reaped backends' CPU seconds."""
    times = postmaster.cpu_times()
    seconds = times.children_user + times.children_system + _cpu(postmaster)
    for backend in postmaster.children(recursive=True):
        with contextlib.suppress(psutil.NoSuchProcess):
            seconds += _cpu(backend)
    return float(seconds)


def switches(process: psutil.Process, *, every_thread: bool = False) -> int:
    """Context switches (voluntary and not) of the process's main thread, where a Python
    service's event loop runs (worker threads come and go, taking their counts with them);
    `every_thread`: of all its threads (nats-server's Go threads stay)."""
    folder = Path(f"/proc/{process.pid}")
    files = folder.glob("task/*/status") if every_thread else [folder / "status"]
    total = 0
    for status in files:
        with contextlib.suppress(OSError):
            for line in status.read_text().splitlines():
                if "ctxt_switches:" in line:
                    total += int(line.split(":")[1])
    return total


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
