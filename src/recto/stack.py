"""`recto up`: the embedded servers (unless given) and every service in a process of its own,
all supervised: what dies is restarted, what keeps dying stops the stack with its log."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from infra.embedded.process import free_port
from recto import SERVICES
from recto.children import NatsServer, PostgresServer, ServiceProcess
from recto.migrating import MigrationsUpFront
from recto.readiness import (
    ServiceState,
    StackFailed,
    StackNotReady,
    stack_state,
    wait_until_ready,
)
from recto.stack_settings import StackSettings
from recto.supervisor import Report, Supervisor

__all__ = ["Stack", "StackFailed", "StackNotReady", "running_stack"]


@dataclass
class Stack:
    database_url: str
    nats_url: str
    gateway_url: str
    environment: dict[str, str]
    state_dir: Path
    supervisor: Supervisor
    services: dict[str, list[ServiceProcess]]
    """Each service's replicas, e.g. `analyzer` → `analyzer-1`, `analyzer-2`."""
    settings: StackSettings

    @property
    def replicas(self) -> dict[str, ServiceProcess]:
        return {r.name: r for replicas in self.services.values() for r in replicas}

    @property
    def processes(self) -> dict[str, subprocess.Popen[bytes] | None]:
        """Each replica's current `Popen` (a new one after a restart)."""
        return {name: replica.process for name, replica in self.replicas.items()}

    def readiness(self) -> dict[str, ServiceState]:
        return stack_state(
            self.state_dir,
            self.gateway_url,
            self.services,
            max_age=self.settings.heartbeat_max_age,
        )

    def wait_until_ready(self, report: Report) -> None:
        wait_until_ready(
            self.readiness,
            {name: [r.log for r in replicas] for name, replicas in self.services.items()},
            settings=self.settings,
            report=report,
            stopped=self.supervisor.finished,
            failure=lambda: self.supervisor.failure,
        )


def prepare_state_dir(state_dir: Path) -> Path:
    state_dir = state_dir.absolute()
    state_dir.mkdir(parents=True, exist_ok=True)
    # The embedded PostgreSQL runs as `nobody` when root: it must reach its folder.
    state_dir.chmod(0o755)
    return state_dir


def _print_to_stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


@contextlib.contextmanager
def running_stack(
    state_dir: Path,
    *,
    gateway_port: int | None = None,
    analyzers: int = 2,
    extra_env: dict[str, str] | None = None,
    database_url: str | None = None,
    nats_url: str | None = None,
    settings: StackSettings | None = None,
    report: Report = _print_to_stderr,
) -> Iterator[Stack]:
    """Every service in a process of its own; analyzers compete for pages on one consumer.

    PostgreSQL and NATS are those named (arguments, then RECTO_DATABASE_URL / RECTO_NATS_URL),
    else embedded under `state_dir`. Everything is supervised until the block ends; if the
    supervisor gave up meanwhile, StackFailed is raised on leaving it.
    """
    settings = settings or StackSettings()
    state_dir = prepare_state_dir(state_dir)
    supervisor = Supervisor(settings, report)
    try:
        database_url = database_url or os.environ.get("RECTO_DATABASE_URL")
        if not database_url:
            postgres = PostgresServer(state_dir / "postgres", free_port())
            supervisor.start_group([postgres])
            database_url = postgres.url
        nats_url = nats_url or os.environ.get("RECTO_NATS_URL")
        if not nats_url:
            nats = NatsServer(
                state_dir / "nats", free_port(), start_timeout=settings.server_start_timeout
            )
            supervisor.start_group([nats])
            nats_url = nats.url
        MigrationsUpFront(database_url, report).start()
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
        services: dict[str, list[ServiceProcess]] = {}
        for name, replica in _replicas(analyzers):
            command = [sys.executable, "-m", "recto", "serve", name]
            log = state_dir / f"{replica}.log"
            # Each process names itself in its heartbeat: `recto healthcheck analyzer --replica
            # analyzer-2` then asks after one replica.
            own = {**environment, "RECTO_REPLICA": replica}
            services.setdefault(name, []).append(ServiceProcess(replica, command, own, log))
        supervisor.start_group([r for replicas in services.values() for r in replicas])
        stack = Stack(
            database_url,
            nats_url,
            f"http://127.0.0.1:{port}",
            environment,
            state_dir,
            supervisor,
            services,
            settings,
        )
        stack.wait_until_ready(report)
        yield stack
    finally:
        supervisor.stop()
    if supervisor.failure:
        raise StackFailed(supervisor.failure)


def _replicas(analyzers: int) -> list[tuple[str, str]]:
    """(service, process name) pairs: `analyzer-1`, `analyzer-2`… for the analyzer replicas."""
    return [
        (name, f"{name}-{n}" if name == "analyzer" else name)
        for name in SERVICES
        for n in range(1, (analyzers if name == "analyzer" else 1) + 1)
    ]
