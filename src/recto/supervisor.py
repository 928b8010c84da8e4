"""Keeps `recto up`'s processes running: restarts what dies, gives up on what keeps dying.

One thread per process blocks in its `wait` (no polling). When a process dies and the stack
is not stopping, the restart is reported (name, how it ended, its log's last line) and made
after a delay that doubles with each recent exit, up to a cap. More than `restart_limit`
exits within `restart_window` seconds stops the whole stack, naming the process and quoting
its log, rather than hiding a crash loop.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from recto.children import Child, last_lines
from recto.stack_settings import StackSettings

Report = Callable[[str], None]


@dataclass
class RestartBudget:
    """How long to wait before the next restart, or None once the process keeps dying."""

    limit: int
    window: float
    first_delay: float
    longest_delay: float
    exits: deque[float] = field(default_factory=deque)

    def delay_after_exit(self, now: float) -> float | None:
        self.exits.append(now)
        while now - self.exits[0] > self.window:
            self.exits.popleft()
        if len(self.exits) > self.limit:
            return None
        return min(self.longest_delay, self.first_delay * 2.0 ** (len(self.exits) - 1))


class Supervisor:
    def __init__(self, settings: StackSettings, report: Report) -> None:
        self.settings, self.report = settings, report
        self.groups: list[list[Child]] = []
        self.failure: str | None = None
        self.finished = threading.Event()
        """Set once every process has been stopped, on request or after giving up."""
        self._stopping = threading.Event()
        self._lock = threading.Lock()

    @property
    def children(self) -> list[Child]:
        return [child for group in self.groups for child in group]

    def start_group(self, children: Sequence[Child]) -> None:
        """Start these processes now and watch them; groups stop in reverse order."""
        group: list[Child] = []
        self.groups.append(group)
        for child in children:
            with self._lock:
                if self._stopping.is_set():
                    return
                child.start()
                group.append(child)
            threading.Thread(
                target=self._watch, args=(child,), name=f"watch-{child.name}", daemon=True
            ).start()

    def _budget(self) -> RestartBudget:
        s = self.settings
        return RestartBudget(
            s.restart_limit, s.restart_window, s.restart_backoff, s.restart_backoff_max
        )

    def _watch(self, child: Child) -> None:
        budget = self._budget()
        what = f"(pid {child.pid}) died: {child.wait()}"
        while not self._stopping.is_set():
            delay = budget.delay_after_exit(time.monotonic())
            if delay is None:
                self._give_up(child, what, len(budget.exits))
                return
            tail = " | ".join(last_lines(child.log)) or "(empty log)"
            self.report(
                f"{child.name} {what}; restarting in {delay:.1f} s"
                f" ({len(budget.exits)}/{self.settings.restart_limit} within"
                f" {self.settings.restart_window:.0f} s). Last line of {child.log}: {tail}"
            )
            if self._stopping.wait(delay):
                return
            with self._lock:
                if self._stopping.is_set():
                    return
                try:
                    child.start()
                except Exception as error:
                    what = f"could not start: {str(error).splitlines()[0]}"
                    continue
            self.report(f"{child.name} restarted (pid {child.pid})")
            what = f"(pid {child.pid}) died: {child.wait()}"

    def _give_up(self, child: Child, what: str, exits: int) -> None:
        lines = "\n".join(f"  {line}" for line in last_lines(child.log, 10)) or "  (empty log)"
        self.failure = (
            f"{child.name} keeps dying: {exits} times within"
            f" {self.settings.restart_window:.0f} s, the last {what}. Stopping Recto."
            f" Last lines of {child.log}:\n{lines}"
        )
        self.report(self.failure)
        self.stop()

    def stop(self) -> None:
        """Stop every process, newest group first: SIGTERM, then SIGKILL after the grace period.

        Exits from here on are expected and never reported as crashes.
        """
        with self._lock:
            first = not self._stopping.is_set()
            self._stopping.set()
        if not first:
            self.finished.wait()
            return
        for group in reversed(self.groups):
            for child in group:
                child.terminate()
            for child in group:
                child.finish(self.settings.stop_grace)
        self.finished.set()
