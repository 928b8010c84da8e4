"""Per-process health files: every few seconds each process writes whether it is ready.

One file per process, `<state_dir>/health/<service>/<replica>.json`, so a stuck analyzer
replica cannot hide behind a live one; its content says whether the process's connections
answer, so "alive but cut off from NATS" reads as not ready:

    {"service": "analyzer", "replica": "analyzer-2", "host": "…", "pid": 4242, "ready": false,
     "at": 1767225600.0, "checks": {"nats": "reconnecting (12 attempts)", "database": "ok"},
     "failing": ["nats"]}

`recto healthcheck` reads these files in every container every few seconds: this module
imports nothing heavy.
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import asyncio

    from infra.settings import Settings

HEARTBEAT_SECONDS = 5.0
STALE_AFTER_BEATS = 3


@dataclass(frozen=True)
class Check:
    ok: bool
    detail: str


Probe = Callable[[], Awaitable[Check]]


@dataclass(frozen=True)
class Verdict:
    ok: bool
    reason: str


def replica_id(configured: str | None = None) -> str:
    """`RECTO_REPLICA` when set (e.g. `analyzer-2`), else unique on this host: host and pid."""
    return configured or f"{socket.gethostname()}-{os.getpid()}"


def heartbeat_path(state_dir: Path, service: str, replica: str) -> Path:
    return state_dir / "health" / service / f"{replica}.json"


async def beat(
    path: Path,
    stop: asyncio.Event,
    probes: Mapping[str, Probe],
    *,
    every: float = HEARTBEAT_SECONDS,
    identity: Mapping[str, object] | None = None,
) -> None:
    """Write `path` every `every` seconds until `stop` is set, then remove it."""
    import asyncio
    import contextlib

    import anyio

    file = anyio.Path(path)
    scratch = anyio.Path(path.with_name(f".{path.name}.tmp"))
    await file.parent.mkdir(parents=True, exist_ok=True)
    while not stop.is_set():
        names = list(probes)
        results = await asyncio.gather(*(_run(probes[name]) for name in names))
        checks = dict(zip(names, results, strict=True))
        record = {
            **(identity or {}),
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "ready": all(c.ok for c in checks.values()),
            "at": time.time(),
            "checks": {name: check.detail for name, check in checks.items()},
            "failing": [name for name, check in checks.items() if not check.ok],
        }
        # Written aside and renamed: a reader never sees half a file.
        await scratch.write_text(json.dumps(record))
        await scratch.replace(file)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(every):  # not wait_for: it can swallow a cancellation
                await stop.wait()
    await file.unlink(missing_ok=True)


async def _run(probe: Probe) -> Check:
    try:
        return await probe()
    except Exception as error:
        return Check(False, f"{type(error).__name__}: {error}")


def process_heartbeat(
    service: str,
    settings: Settings,
    stop: asyncio.Event,
    probes: Mapping[str, Probe],
    details: Mapping[str, object] | None = None,
) -> Coroutine[Any, Any, None]:
    """This process's heartbeat, `<state_dir>/health/<service>/<replica>.json`; `details`
    (e.g. where its metrics are served) are written into every beat."""
    replica = replica_id(settings.replica)
    return beat(
        heartbeat_path(settings.state_dir, service, replica),
        stop,
        probes,
        every=settings.heartbeat_seconds,
        identity={"service": service, "replica": replica, **(details or {})},
    )


def judge(path: Path, *, max_age: float, now: float | None = None) -> Verdict:
    """Whether the process that writes `path` is alive (fresh file) and ready."""
    try:
        record: dict[str, Any] = json.loads(path.read_text())
    except FileNotFoundError:
        return Verdict(False, f"no heartbeat at {path}")
    except (OSError, ValueError) as error:
        return Verdict(False, f"unreadable heartbeat {path}: {error}")
    name = f"{record.get('service', path.parent.name)} {record.get('replica', path.stem)}"
    age = (time.time() if now is None else now) - float(record.get("at", 0))
    if age > max_age:
        return Verdict(False, f"{name}: last heartbeat {age:.0f} s ago (limit {max_age:.0f} s)")
    if not record.get("ready"):
        checks = record.get("checks", {})
        failing = ", ".join(f"{c}: {checks.get(c)}" for c in record.get("failing", [])) or "?"
        return Verdict(False, f"{name}: not ready ({failing})")
    return Verdict(True, f"{name}: ready")


def check_service(
    state_dir: Path, service: str, *, replica: str | None = None, max_age: float
) -> Verdict:
    """One replica's verdict; without `replica`, every process of `service` on this host.

    Files left by processes that no longer exist (killed before they could remove theirs)
    are ignored: restarting those is the supervisor's business, and their pids are gone.
    """
    if replica is not None:
        return judge(heartbeat_path(state_dir, service, replica), max_age=max_age)
    folder = state_dir / "health" / service
    host = socket.gethostname()
    verdicts = [
        judge(path, max_age=max_age)
        for path in sorted(folder.glob("*.json"))
        if _written_by_live_process_here(path, host)
    ]
    if not verdicts:
        return Verdict(False, f"{service}: no live process beats in {folder}")
    failing = [v.reason for v in verdicts if not v.ok]
    if failing:
        return Verdict(False, "; ".join(failing))
    return Verdict(True, f"{service}: {len(verdicts)} process(es) ready")


def _written_by_live_process_here(path: Path, host: str) -> bool:
    try:
        record = json.loads(path.read_text())
        pid = int(record["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return True  # unreadable: let `judge` say why
    if record.get("host") != host:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, as another user
    return True
