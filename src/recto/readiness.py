"""Which services of a stack are ready: the gateway's `/readyz`, the others' heartbeat files.

Heartbeat files are read defensively, whatever their layout: `health/<service>` (one file per
service), or one per replica beside it (`health/<service>-…`, `health/<service>/…`). A file is
alive while it is fresh and younger than its process's latest start (an older one is a past
life's, e.g. left by a process killed with SIGKILL); if it holds a JSON object, its `ready`
says whether the process is ready and its `pid` which replica wrote it.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from recto.children import Child, last_lines
from recto.stack_settings import StackSettings

POLL_SECONDS = 0.5
HEARTBEAT_FREE = frozenset({"relay"})
"""Services that may not beat a heartbeat: ready once running, unless they do beat."""


@dataclass(frozen=True)
class Heartbeat:
    path: Path
    modified: float
    ready: bool
    pid: int | None
    detail: str


@dataclass(frozen=True)
class ServiceState:
    ready: bool
    reason: str = ""


def read_heartbeats(health_dir: Path, service: str) -> list[Heartbeat]:
    folder = health_dir / service
    paths = [folder] if folder.is_file() else []
    if folder.is_dir():
        paths += sorted(p for p in folder.iterdir() if p.is_file())
    if health_dir.is_dir():
        paths += sorted(
            p for p in health_dir.iterdir() if p.is_file() and _replica_of(p.name, service)
        )
    beats = [_read(path) for path in paths]
    return [beat for beat in beats if beat is not None]


def _replica_of(file_name: str, service: str) -> bool:
    return file_name.startswith(service) and file_name[len(service) : len(service) + 1] in "-_.@"


def _read(path: Path) -> Heartbeat | None:
    try:
        modified = path.stat().st_mtime
        text = path.read_text(errors="replace")[:65536]
    except OSError:  # removed while reading: its process has stopped
        return None
    try:
        content: Any = json.loads(text)
    except ValueError:
        content = None
    if not isinstance(content, dict):
        return Heartbeat(path, modified, True, None, "")
    pid = content.get("pid")
    detail = content.get("detail") or content.get("reason") or content.get("checks") or ""
    return Heartbeat(
        path,
        modified,
        bool(content.get("ready", True)),
        pid if isinstance(pid, int) else None,
        str(detail),
    )


def replicas_state(
    service: str,
    replicas: Sequence[Child],
    beats: Sequence[Heartbeat],
    *,
    max_age: float,
    now: float | None = None,
) -> ServiceState:
    now = time.time() if now is None else now
    for replica in replicas:
        if not replica.running():
            return ServiceState(False, f"{replica.name} is not running")
        alive = [
            beat
            for beat in beats
            if now - beat.modified < max_age
            and beat.modified >= replica.started_at
            and beat.pid in (None, replica.pid)
        ]
        if not alive:
            if service in HEARTBEAT_FREE and not beats:
                continue
            return ServiceState(False, f"{replica.name}: no heartbeat since it started")
        if not any(beat.ready for beat in alive):
            detail = next((b.detail for b in alive if b.detail), "")
            because = f": {detail}" if detail else ""
            return ServiceState(False, f"{replica.name} says it is not ready{because}")
    return ServiceState(True)


def gateway_state(gateway_url: str, *, timeout: float = 5.0) -> ServiceState:
    # http.client rather than httpx: `recto up` imports this before it starts anything, and
    # httpx's import alone costs it ~0.15 s of CPU.
    address = urlsplit(gateway_url)
    connection = http.client.HTTPConnection(address.hostname or "", address.port, timeout=timeout)
    try:
        connection.request("GET", "/readyz")
        response = connection.getresponse()
        status, body = response.status, response.read()
    except (OSError, http.client.HTTPException) as error:
        return ServiceState(False, f"/readyz does not answer ({type(error).__name__})")
    finally:
        connection.close()
    if status == 200:
        return ServiceState(True)
    try:
        checks = json.loads(body).get("checks", {})
    except (ValueError, AttributeError):
        checks = {}
    failing = "; ".join(str(v) for v in checks.values()) or body.decode(errors="replace")[:200]
    return ServiceState(False, f"/readyz {status}: {failing}")


def stack_state(
    state_dir: Path,
    gateway_url: str,
    services: Mapping[str, Sequence[Child]],
    *,
    max_age: float,
) -> dict[str, ServiceState]:
    """Each service's state; `services` maps a service to its replicas' processes."""
    states: dict[str, ServiceState] = {}
    for service, replicas in services.items():
        if service == "gateway":
            states[service] = gateway_state(gateway_url)
        else:
            beats = read_heartbeats(state_dir / "health", service)
            states[service] = replicas_state(service, replicas, beats, max_age=max_age)
    return states


class StackNotReady(RuntimeError):
    """Some service did not become ready within `RECTO_READY_TIMEOUT`."""


class StackFailed(RuntimeError):
    """The supervisor gave up on a process that kept dying, and stopped the stack."""


def wait_until_ready(
    check: Callable[[], dict[str, ServiceState]],
    logs: Mapping[str, Sequence[Path]],
    *,
    settings: StackSettings,
    report: Callable[[str], None],
    stopped: threading.Event,
    failure: Callable[[], str | None],
) -> None:
    """Poll `check` until every service is ready, reporting progress as it changes and every
    `ready_report_every` seconds; StackNotReady after `ready_timeout`, naming the laggards."""
    started = time.monotonic()
    deadline = started + settings.ready_timeout
    next_report, reported = started + settings.ready_report_every, ""
    while True:
        states = check()
        waiting = {name: state.reason for name, state in states.items() if not state.ready}
        elapsed = time.monotonic() - started
        if not waiting:
            report(f"ready in {elapsed:.0f} s: {', '.join(states)}")
            return
        ready = ", ".join(name for name in states if name not in waiting) or "none yet"
        if ready != reported or time.monotonic() >= next_report:
            why = ", ".join(f"{name} ({reason})" for name, reason in waiting.items())
            report(f"ready: {ready}; waiting for {why} ({elapsed:.0f} s)")
            reported, next_report = ready, time.monotonic() + settings.ready_report_every
        if time.monotonic() >= deadline:
            raise StackNotReady(_not_ready_message(waiting, logs, settings.ready_timeout))
        if stopped.wait(POLL_SECONDS):
            raise StackFailed(failure() or "the stack stopped while starting")


def _not_ready_message(
    waiting: Mapping[str, str], logs: Mapping[str, Sequence[Path]], timeout: float
) -> str:
    lines = [f"not ready after {timeout:g} s (RECTO_READY_TIMEOUT):"]
    for name, reason in waiting.items():
        lines.append(f"  {name}: {reason}")
        for log in logs.get(name, ()):
            tail = " | ".join(last_lines(log)) or "(empty)"
            lines.append(f"    last line of {log}: {tail}")
    return "\n".join(lines)
