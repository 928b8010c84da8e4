"""B11's Recto figures: `./recto up` from exec to the gateway's `/readyz` 200, and one service
process (`python -m recto serve NAME`, as `recto up` starts it) from exec to ready.

Ready is what `recto up` waits for: the gateway's `/readyz` answering 200, every other
service's heartbeat file saying `ready` (its `at` is when the process knew it). Both are
polled every few milliseconds from exec; a process's exec time is its kernel start time.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil

from infra.embedded.process import free_port

ROOT = Path(__file__).parent.parent
POLL_SECONDS = 0.02
LIMIT_SECONDS = float(os.environ.get("RECTO_BENCH_STARTUP_LIMIT", "600"))
STOP_SECONDS = 60.0


@dataclass
class UpRun:
    seconds: float
    """exec of `./recto up` to the first `/readyz` 200"""
    ready_at: dict[str, float] = field(default_factory=dict)
    """each process's first ready heartbeat (gateway: `/readyz` 200), seconds after exec"""
    exec_at: dict[str, float] = field(default_factory=dict)
    """each process's exec, seconds after `./recto up`'s"""
    all_seconds: float = 0.0
    """exec of `./recto up` to every process ready (what `recto up` itself waits for)"""
    cpu_seconds: float = 0.0
    """CPU time of `./recto up` and every process under it until ready (the detached
    PostgreSQL excepted; its initdb and pg_ctl included)"""


class Readiness:
    """Polls one state folder's heartbeats and a gateway's `/readyz`."""

    def __init__(self, state_dir: Path, gateway_url: str) -> None:
        self.health = state_dir / "health"
        self.gateway_url = gateway_url
        self.http = httpx.Client(timeout=5.0)
        self.beats: dict[tuple[str, object], dict[str, object]] = {}
        """the first heartbeat that says ready of each replica and process id"""

    def gateway_ready(self) -> bool:
        try:
            return self.http.get(f"{self.gateway_url}/readyz").status_code == 200
        except httpx.HTTPError:
            return False

    def read_beats(self) -> None:
        for path in self.health.glob("*/*.json"):
            with contextlib.suppress(OSError, ValueError):
                record = json.loads(path.read_text())
                if record.get("ready"):
                    self.beats.setdefault((path.stem, record.get("pid")), record)

    def ready_at(self, replica: str, pid: int) -> float | None:
        """When that process first said it was ready (its own clock), if it has."""
        beat = self.beats.get((replica, pid))
        return None if beat is None else float(str(beat["at"]))

    def close(self) -> None:
        self.http.close()


def started_at(pid: int) -> float | None:
    with contextlib.suppress(psutil.Error):
        return float(psutil.Process(pid).create_time())
    return None


def time_recto_up(state_dir: Path, log: Path) -> UpRun:
    """`./recto up` in `state_dir` until `/readyz` answers 200 and every other process says it
    is ready; then stopped as Ctrl-C would."""
    port = free_port()
    watch = Readiness(state_dir, f"http://127.0.0.1:{port}")
    command = [str(ROOT / "recto"), "up", "--state-dir", str(state_dir), "--gateway-port"]
    with log.open("ab") as output:
        wall, started = time.time(), time.perf_counter()
        up = subprocess.Popen(
            [*command, str(port)], stdout=output, stderr=output, process_group=0, cwd=ROOT
        )
    try:
        run: UpRun | None = None
        while True:
            if up.poll() is not None:
                raise RuntimeError(f"recto up exited with {up.returncode}; see {log}")
            if time.perf_counter() - started > LIMIT_SECONDS:
                raise TimeoutError(f"recto up not ready after {LIMIT_SECONDS:.0f} s; see {log}")
            if run is None and watch.gateway_ready():
                run = UpRun(time.perf_counter() - started, cpu_seconds=tree_cpu(up.pid))
            watch.read_beats()
            if run is not None:
                services = service_processes(up.pid, wall)
                ready = {r: watch.ready_at(r, pid) for r, (pid, _) in services.items()}
                if all(at is not None for r, at in ready.items() if r != "gateway"):
                    run.all_seconds = time.perf_counter() - started
                    run.exec_at = {r: at for r, (_, at) in services.items()}
                    run.ready_at = {r: at - wall for r, at in ready.items() if at is not None}
                    run.ready_at["gateway"] = run.seconds
                    return run
            time.sleep(POLL_SECONDS)
    finally:
        watch.close()
        stop(up)


def service_processes(pid: int, wall: float) -> dict[str, tuple[int, float]]:
    """Each `recto serve` process under `pid`: its replica name, pid and exec time after `wall`."""
    found = {}
    for child in psutil.Process(pid).children(recursive=True):
        with contextlib.suppress(psutil.Error):
            arguments = child.cmdline()
            if "serve" in arguments:
                replica = child.environ().get("RECTO_REPLICA") or arguments[-1]
                found[replica] = (child.pid, child.create_time() - wall)
    return found


def tree_cpu(pid: int) -> float:
    """User and system seconds of a process and its descendants, the exited ones included
    (counted by the parent that reaped them)."""
    seconds = 0.0
    root = psutil.Process(pid)
    for process in [root, *root.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):
            times = process.cpu_times()
            seconds += times.user + times.system + times.children_user + times.children_system
    return seconds


def stop(process: subprocess.Popen[bytes]) -> None:
    """Ctrl-C at the terminal: SIGINT to the group (uv and recto), then wait for the stack."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGINT)
    try:
        process.wait(STOP_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@contextlib.contextmanager
def service_process(
    name: str, environment: Mapping[str, str], log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("ab") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "recto", "serve", name],
            env={**environment, "RECTO_REPLICA": name},
            stdout=output,
            stderr=output,
            process_group=0,
        )
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def time_service(name: str, environment: Mapping[str, str], state_dir: Path) -> tuple[float, float]:
    """One `recto serve NAME` process alone against running servers: seconds from exec to
    ready, and the CPU seconds it spent until then."""
    port = int(environment["RECTO_GATEWAY_PORT"])
    (state_dir / "health" / name / f"{name}.json").unlink(missing_ok=True)  # a past life's
    watch = Readiness(state_dir, f"http://127.0.0.1:{port}")
    try:
        with service_process(name, environment, state_dir / f"{name}.log") as process:
            exec_at = started_at(process.pid)
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"{name} exited with {process.returncode}")
                if name == "gateway":
                    if watch.gateway_ready():
                        ready_at = time.time()
                        break
                else:
                    watch.read_beats()
                    beat = watch.ready_at(name, process.pid)
                    if beat is not None:
                        ready_at = beat
                        break
                time.sleep(POLL_SECONDS)
            times = psutil.Process(process.pid).cpu_times()
            assert exec_at is not None
            return ready_at - exec_at, times.user + times.system
    finally:
        watch.close()
