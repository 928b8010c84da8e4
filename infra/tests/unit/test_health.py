import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from infra.health import Check, beat, check_service, heartbeat_path, judge
from infra.testing.patience import patient

ALWAYS_FRESH = 60.0


class Switch:
    """A probe whose answer the test flips."""

    def __init__(self, ok: bool) -> None:
        self.ok = ok

    async def __call__(self) -> Check:
        return Check(self.ok, "connected" if self.ok else "reconnecting (7 attempts)")


async def broken_probe() -> Check:
    raise ConnectionRefusedError("refused")


async def wait_for(condition: object, timeout: float = 10.0) -> None:
    assert callable(condition)
    deadline = asyncio.get_running_loop().time() + patient(timeout)
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


def record(path: Path) -> dict[str, object]:
    return dict(json.loads(path.read_text()))


async def test_the_heartbeat_says_ready_only_while_every_probe_passes(tmp_path: Path) -> None:
    path = heartbeat_path(tmp_path, "ingest", "ingest-1")
    nats = Switch(True)
    stop = asyncio.Event()
    task = asyncio.create_task(
        beat(path, stop, {"nats": nats}, every=0.01, identity={"service": "ingest"})
    )
    await wait_for(lambda: path.exists())
    assert judge(path, max_age=ALWAYS_FRESH).ok
    assert record(path)["checks"] == {"nats": "connected"}

    nats.ok = False
    await wait_for(lambda: not record(path)["ready"])
    verdict = judge(path, max_age=ALWAYS_FRESH)
    assert not verdict.ok
    assert verdict.reason == "ingest ingest-1: not ready (nats: reconnecting (7 attempts))"

    nats.ok = True
    await wait_for(lambda: record(path)["ready"])
    stop.set()
    await task
    assert not path.exists()
    assert judge(path, max_age=ALWAYS_FRESH).reason.startswith("no heartbeat")


async def test_a_probe_that_raises_reads_as_not_ready(tmp_path: Path) -> None:
    path = tmp_path / "relay.json"
    stop = asyncio.Event()
    task = asyncio.create_task(beat(path, stop, {"database": broken_probe}, every=0.01))
    await wait_for(lambda: path.exists())
    written = record(path)
    stop.set()
    await task
    assert written["ready"] is False
    assert written["failing"] == ["database"]
    assert written["checks"] == {"database": "ConnectionRefusedError: refused"}


def test_a_stale_heartbeat_is_not_healthy(tmp_path: Path) -> None:
    path = heartbeat_path(tmp_path, "exporter", "e1")
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"ready": True, "at": 1000.0, "pid": os.getpid()}))
    assert judge(path, max_age=15, now=1010.0).ok
    verdict = judge(path, max_age=15, now=1100.0)
    assert not verdict.ok
    assert "last heartbeat 100 s ago" in verdict.reason


def _write(state_dir: Path, replica: str, *, pid: int, ready: bool, at: float) -> None:
    path = heartbeat_path(state_dir, "analyzer", replica)
    path.parent.mkdir(parents=True, exist_ok=True)
    content = {
        "service": "analyzer",
        "replica": replica,
        "host": socket.gethostname(),
        "pid": pid,
        "ready": ready,
        "at": at,
        "checks": {"nats": "connected" if ready else "closed"},
        "failing": [] if ready else ["nats"],
    }
    path.write_text(json.dumps(content))


def _exited_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_stuck_replica_does_not_hide_behind_a_live_one(tmp_path: Path) -> None:
    now = time.time()
    _write(tmp_path, "analyzer-1", pid=os.getpid(), ready=True, at=now)
    _write(tmp_path, "analyzer-2", pid=os.getppid(), ready=True, at=now - 600)

    assert check_service(tmp_path, "analyzer", replica="analyzer-1", max_age=15).ok
    alone = check_service(tmp_path, "analyzer", replica="analyzer-2", max_age=15)
    assert not alone.ok
    together = check_service(tmp_path, "analyzer", max_age=15)
    assert not together.ok
    assert together.reason.startswith("analyzer analyzer-2: last heartbeat")


def test_files_of_exited_processes_are_ignored_but_one_live_process_is_needed(
    tmp_path: Path,
) -> None:
    _write(tmp_path, "analyzer-old", pid=_exited_pid(), ready=False, at=time.time() - 600)
    verdict = check_service(tmp_path, "analyzer", max_age=15)
    assert not verdict.ok
    assert "no live process" in verdict.reason

    _write(tmp_path, "analyzer-1", pid=os.getpid(), ready=True, at=time.time())
    verdict = check_service(tmp_path, "analyzer", max_age=15)
    assert verdict.ok, verdict.reason
    assert verdict.reason == "analyzer: 1 process(es) ready"


def test_not_ready_says_which_dependency_fails(tmp_path: Path) -> None:
    _write(tmp_path, "analyzer-1", pid=os.getpid(), ready=False, at=time.time())
    verdict = check_service(tmp_path, "analyzer", max_age=15)
    assert verdict == verdict.__class__(False, "analyzer analyzer-1: not ready (nats: closed)")
