"""`recto up` supervises its processes: restarts the killed, stops on a crash loop, and shuts
down cleanly on SIGTERM. Real servers and services, each in its own process."""

from __future__ import annotations

import json
import os
import queue
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import httpx
import psutil
import pytest

from infra.testing.patience import patient
from recto.children import ServiceProcess
from recto.readiness import ServiceState, read_heartbeats, replicas_state
from recto.stack_settings import StackSettings
from recto.supervisor import Supervisor

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

DEADLINE = patient(240.0)


def scratch_dir(name: str) -> Path:
    # Under /tmp and world-traversable: the embedded PostgreSQL runs as nobody when root.
    folder = Path(tempfile.mkdtemp(prefix=f"recto-{name}-", dir="/tmp"))
    folder.chmod(0o755)
    return folder


def wait_for(condition: Callable[[], object], what: str, deadline: float = DEADLINE) -> None:
    end = time.monotonic() + deadline
    while not condition():
        assert time.monotonic() < end, f"timed out waiting for {what}"
        time.sleep(0.1)


class Output:
    """The lines a process prints, collected by a thread as they come."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        assert process.stdout is not None
        threading.Thread(target=self._read, args=(process.stdout,), daemon=True).start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def wait_for(self, predicate: Callable[[str], bool], deadline: float = DEADLINE) -> str:
        for line in self.lines:
            if predicate(line):
                return line
        end = time.monotonic() + deadline
        while (remaining := end - time.monotonic()) > 0:
            try:
                line = self._queue.get(timeout=remaining)
            except queue.Empty:
                break
            if line is None:
                break
            self.lines.append(line)
            if predicate(line):
                return line
        raise AssertionError("line not printed; output so far:\n" + "\n".join(self.lines))

    def rest(self) -> str:
        while (line := self._queue.get(timeout=DEADLINE)) is not None:
            self.lines.append(line)
        return "\n".join(self.lines)


@pytest.fixture
def recto_up() -> Iterator[Callable[..., tuple[subprocess.Popen[str], Output, Path]]]:
    started: list[subprocess.Popen[str]] = []

    def start(
        *args: str, env: dict[str, str] | None = None
    ) -> tuple[subprocess.Popen[str], Output, Path]:
        state_dir = scratch_dir("up")
        environment = {
            k: v for k, v in os.environ.items() if k not in ("RECTO_DATABASE_URL", "RECTO_NATS_URL")
        }
        command = [sys.executable, "-m", "recto", "up", "--analyzers", "1"]
        process = subprocess.Popen(
            [*command, "--state-dir", str(state_dir), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**environment, "COLUMNS": "300", **(env or {})},
        )
        started.append(process)
        return process, Output(process), state_dir

    yield start
    for process in started:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(DEADLINE)


def service_pid(up: subprocess.Popen[str], name: str) -> int:
    for child in psutil.Process(up.pid).children():
        if child.cmdline()[-2:] == ["serve", name]:
            return child.pid
    raise AssertionError(f"no {name} process")


def beats_since(state_dir: Path, service: str, pid: int) -> bool:
    """The service's heartbeat was written by this process (it started after the last kill)."""
    started = psutil.Process(pid).create_time()
    return any(b.modified >= started for b in read_heartbeats(state_dir / "health", service))


def test_killed_services_are_restarted_and_a_sigterm_stops_everything_quietly(
    recto_up: Callable[..., tuple[subprocess.Popen[str], Output, Path]],
) -> None:
    up, output, state_dir = recto_up()
    gateway = output.wait_for(lambda line: line.startswith("gateway: ")).split()[-1]
    assert any(line.startswith("ready in ") for line in output.lines)

    # kill -9 the exporter and the relay: each comes back under a new pid, and says so.
    killed = {name: service_pid(up, name) for name in ("exporter", "relay")}
    for pid in killed.values():
        os.kill(pid, signal.SIGKILL)
    for name, pid in killed.items():
        died = output.wait_for(lambda line, n=name: line.startswith(f"{n} (pid "))
        assert f"(pid {pid}) died: signal SIGKILL; restarting in" in died
        assert f"Last line of {state_dir / name}.log" in died
        restarted = output.wait_for(lambda line, n=name: line.startswith(f"{n} restarted"))
        assert restarted != f"{name} restarted (pid {pid})"
    new_exporter = service_pid(up, "exporter")
    assert new_exporter != killed["exporter"]
    assert service_pid(up, "relay") != killed["relay"]

    # The new exporter beats its heartbeat, and the stack is ready again.
    wait_for(lambda: beats_since(state_dir, "exporter", new_exporter), "the exporter's heartbeat")
    wait_for(lambda: httpx.get(f"{gateway}/readyz", timeout=5).status_code == 200, "/readyz")

    # SIGTERM: every process stops, none of it is reported as a crash.
    children = [c.pid for c in psutil.Process(up.pid).children()]
    up.send_signal(signal.SIGTERM)
    assert up.wait(DEADLINE) == 0
    text = output.rest()
    assert text.splitlines()[-1] == "stopped"
    assert text.count(" died: ") == 2, text
    assert not [pid for pid in children if psutil.pid_exists(pid)]
    leftovers = subprocess.run(["pgrep", "-f", str(state_dir)], capture_output=True, text=True)
    assert leftovers.stdout.strip() == ""


def test_a_gateway_that_keeps_exiting_stops_recto_with_its_last_log_lines(
    recto_up: Callable[..., tuple[subprocess.Popen[str], Output, Path]],
) -> None:
    # The gateway's port is taken: it exits at once, every time it is started.
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        up, output, state_dir = recto_up(
            "--gateway-port",
            str(port),
            env={"RECTO_RESTART_LIMIT": "2", "RECTO_RESTART_BACKOFF": "0.2"},
        )
        assert up.wait(DEADLINE) == 1
    text = output.rest()
    assert "gateway keeps dying: 3 times within 120 s" in text, text
    assert f"Last lines of {state_dir / 'gateway.log'}" in text
    assert "address already in use" in text
    assert text.count("gateway (pid ") == 2  # two restarts reported before giving up
    assert "stopped: a process kept dying" in text
    leftovers = subprocess.run(["pgrep", "-f", str(state_dir)], capture_output=True, text=True)
    assert leftovers.stdout.strip() == ""


def test_the_supervisor_gives_up_on_a_crash_loop_and_stops_the_rest(tmp_path: Path) -> None:
    settings = StackSettings(restart_limit=2, restart_backoff=0.05, stop_grace=10)
    reports: list[str] = []
    supervisor = Supervisor(settings, reports.append)
    python = sys.executable
    pause = [python, "-c", "import signal; signal.pause()"]
    steady = ServiceProcess("steady", pause, os.environ, tmp_path / "steady.log")
    doomed = ServiceProcess(
        "doomed",
        [python, "-c", "import sys; print('no frobnicator here', flush=True); sys.exit(3)"],
        os.environ,
        tmp_path / "doomed.log",
    )
    supervisor.start_group([steady])
    supervisor.start_group([doomed])

    assert supervisor.finished.wait(DEADLINE)
    assert supervisor.failure is not None
    assert supervisor.failure.startswith("doomed keeps dying: 3 times within 120 s")
    assert "died: exit code 3" in supervisor.failure
    assert "no frobnicator here" in supervisor.failure
    restarts = [r for r in reports if "restarting in" in r]
    assert len(restarts) == 2
    assert all(r.startswith("doomed (pid ") and "died: exit code 3" in r for r in restarts)
    assert reports[-1] == supervisor.failure
    # The other process was stopped with SIGTERM, not left behind.
    assert steady.process is not None
    assert steady.process.returncode == -signal.SIGTERM


def test_recto_up_names_what_is_not_ready_when_its_wait_runs_out(
    recto_up: Callable[..., tuple[subprocess.Popen[str], Output, Path]],
) -> None:
    up, output, state_dir = recto_up(env={"RECTO_READY_TIMEOUT": "0.5"})
    assert up.wait(DEADLINE) == 1
    text = output.rest()
    assert "not ready after 0.5 s (RECTO_READY_TIMEOUT):" in text, text
    assert "  gateway: /readyz does not answer" in text
    assert f"    last line of {state_dir / 'gateway.log'}: " in text
    leftovers = subprocess.run(["pgrep", "-f", str(state_dir)], capture_output=True, text=True)
    assert leftovers.stdout.strip() == ""


def test_heartbeats_count_when_fresh_and_written_by_the_process_since_it_started(
    tmp_path: Path,
) -> None:
    health = tmp_path / "health"
    health.mkdir()
    pause = [sys.executable, "-c", "import signal; signal.pause()"]
    replica = ServiceProcess("exporter", pause, os.environ, tmp_path / "exporter.log")

    def state() -> ServiceState:
        beats = read_heartbeats(health, "exporter")
        return replicas_state("exporter", [replica], beats, max_age=15.0)

    assert state() == ServiceState(False, "exporter is not running")
    replica.start()
    # File times come from the kernel's coarse clock, a few milliseconds behind time.time():
    # a file written just after the start must not look older than it.
    replica.started_at -= 1.0
    try:
        # Left by a previous life: older than the start, however fresh.
        legacy = health / "exporter"
        legacy.touch()
        os.utime(legacy, (replica.started_at - 1, replica.started_at - 1))
        assert state() == ServiceState(False, "exporter: no heartbeat since it started")
        # The one-file-per-service layout: an empty file, touched since the start.
        legacy.touch()
        assert state().ready
        legacy.unlink()
        # One file per replica, holding JSON: its `ready` and `pid` are read.
        per_replica = health / "exporter-host-1.json"
        per_replica.write_text(json.dumps({"ready": False, "pid": replica.pid, "detail": "NATS"}))
        assert state() == ServiceState(False, "exporter says it is not ready: NATS")
        per_replica.write_text(json.dumps({"ready": True, "pid": replica.pid + 1}))
        assert not state().ready  # another process's
        per_replica.write_text(json.dumps({"ready": True, "pid": replica.pid}))
        assert state().ready
        # Stale: it stopped beating.
        stale = time.time() - 60
        os.utime(per_replica, (stale, stale))
        assert not state().ready
        # A folder per service works the same; a relay with no heartbeat at all is ready.
        (health / "exporter").mkdir()
        (health / "exporter" / "1").write_text("not json")
        assert state().ready
        assert replicas_state("relay", [replica], [], max_age=15.0).ready
    finally:
        replica.terminate()
        replica.finish(10)
