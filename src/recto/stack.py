"""`recto up`: the embedded servers (unless given) and every service in a process of its own."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from infra.embedded import EmbeddedNats, EmbeddedPostgres
from infra.embedded.process import free_port, stop_process
from infra.eventstore.migrate import upgrade
from recto import SERVICES


@dataclass
class Stack:
    database_url: str
    nats_url: str
    gateway_url: str
    environment: dict[str, str]
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)


def _prepare_state_dir(state_dir: Path) -> Path:
    state_dir = state_dir.absolute()
    state_dir.mkdir(parents=True, exist_ok=True)
    # The embedded PostgreSQL runs as `nobody` when root: it must reach its folder.
    state_dir.chmod(0o755)
    return state_dir


@contextlib.contextmanager
def servers(state_dir: Path) -> Iterator[tuple[str, str]]:
    """PostgreSQL and NATS: those named by RECTO_DATABASE_URL / RECTO_NATS_URL, else embedded."""
    with contextlib.ExitStack() as stack:
        database_url = os.environ.get("RECTO_DATABASE_URL")
        nats_url = os.environ.get("RECTO_NATS_URL")
        if not database_url:
            database_url = stack.enter_context(EmbeddedPostgres(state_dir / "postgres")).url
        if not nats_url:
            nats_url = stack.enter_context(EmbeddedNats(state_dir / "nats")).url
        yield database_url, nats_url


@contextlib.contextmanager
def running_stack(
    state_dir: Path,
    *,
    gateway_port: int | None = None,
    analyzers: int = 2,
    extra_env: dict[str, str] | None = None,
) -> Iterator[Stack]:
    """Every service in a process of its own; analyzers compete for pages on one consumer."""
    state_dir = _prepare_state_dir(state_dir)
    with servers(state_dir) as (database_url, nats_url):
        upgrade(database_url)
        port = gateway_port or free_port()
        environment = {
            **os.environ,
            "RECTO_DATABASE_URL": database_url,
            "RECTO_NATS_URL": nats_url,
            "RECTO_ARTIFACTS": str(state_dir / "artifacts"),
            "RECTO_STATE_DIR": str(state_dir),
            "RECTO_GATEWAY_PORT": str(port),
            "RECTO_PUBLIC_URL": f"http://127.0.0.1:{port}",
            "OMP_THREAD_LIMIT": "1",
            **(extra_env or {}),
        }
        stack = Stack(database_url, nats_url, f"http://127.0.0.1:{port}", environment)
        try:
            for name, replica in _replicas(analyzers):
                log = (state_dir / f"{replica}.log").open("ab")
                stack.processes[replica] = subprocess.Popen(
                    [sys.executable, "-m", "recto", "serve", name],
                    env=environment,
                    stdout=log,
                    stderr=log,
                    stdin=subprocess.DEVNULL,
                )
            wait_until_ready(stack)
            yield stack
        finally:
            for process in stack.processes.values():
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
            for process in stack.processes.values():
                stop_process(process, timeout=15)


def _replicas(analyzers: int) -> list[tuple[str, str]]:
    """(service, process name) pairs: `analyzer-1`, `analyzer-2`… for the analyzer replicas."""
    return [
        (name, f"{name}-{n}" if name == "analyzer" else name)
        for name in SERVICES
        for n in range(1, (analyzers if name == "analyzer" else 1) + 1)
    ]


def wait_until_ready(stack: Stack, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for name, process in stack.processes.items():
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with {process.returncode}; see its log")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{stack.gateway_url}/readyz", timeout=1.0).status_code == 200:
                return
        time.sleep(0.2)
    raise TimeoutError(f"the gateway did not become ready in {timeout:.0f}s")
