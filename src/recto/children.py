"""The processes `recto up` supervises: services, and the embedded NATS and PostgreSQL.

Each can be started again after it died (same command, port and data folder), waited on
without polling, and stopped: asked first, killed after a grace period.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Protocol

from infra.embedded import EmbeddedNats, EmbeddedPostgres


class Child(Protocol):
    name: str
    log: Path
    started_at: float
    """Wall-clock time of the latest start: heartbeats older than this are a past life's."""

    @property
    def pid(self) -> int | None: ...

    def start(self) -> None: ...

    def running(self) -> bool: ...

    def wait(self) -> str:
        """Block until the process exits; how it ended, e.g. `exit code 1`, `signal SIGKILL`."""
        ...

    def terminate(self) -> None:
        """Ask the process to stop (SIGTERM or the server's own fast shutdown)."""
        ...

    def finish(self, grace: float) -> None:
        """Wait up to `grace` seconds for the process to end, then kill it."""
        ...


def describe_exit(returncode: int) -> str:
    if returncode < 0:
        with contextlib.suppress(ValueError):
            return f"signal {signal.Signals(-returncode).name}"
        return f"signal {-returncode}"
    return f"exit code {returncode}"


def last_lines(log: Path, count: int = 1, *, limit: int = 500) -> list[str]:
    """The last `count` non-empty lines of a log, each cut to `limit` characters."""
    try:
        with log.open("rb") as file:
            file.seek(0, os.SEEK_END)
            file.seek(max(0, file.tell() - 64 * 1024))
            tail = file.read().decode(errors="replace")
    except OSError:
        return []
    lines = [line.strip() for line in tail.splitlines() if line.strip()]
    return [line if len(line) <= limit else line[: limit - 1] + "…" for line in lines[-count:]]


def _finish(process: subprocess.Popen[bytes], grace: float) -> None:
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class ServiceProcess:
    """A command whose output is appended to its log file in the state folder."""

    def __init__(
        self, name: str, command: Sequence[str], environment: Mapping[str, str], log: Path
    ) -> None:
        self.name, self.command, self.environment, self.log = name, command, environment, log
        self.process: subprocess.Popen[bytes] | None = None
        self.started_at = 0.0

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def start(self) -> None:
        with self.log.open("ab") as log:
            # A group of its own: a Ctrl-C at the terminal goes to the supervisor only, which
            # stops every service itself and does not mistake their exits for crashes.
            self.process = subprocess.Popen(
                list(self.command),
                env=dict(self.environment),
                stdout=log,
                stderr=log,
                stdin=subprocess.DEVNULL,
                process_group=0,
            )
        self.started_at = time.time()

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def wait(self) -> str:
        assert self.process is not None
        return describe_exit(self.process.wait())

    def terminate(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()

    def finish(self, grace: float) -> None:
        if self.process is not None:
            _finish(self.process, grace)


class NatsServer:
    """The embedded `nats-server`, started again on the same port and JetStream folder."""

    name = "nats"

    def __init__(self, state_dir: Path, port: int, *, start_timeout: float) -> None:
        self.server = EmbeddedNats(state_dir, port=port)
        self.log = self.server.log
        self.start_timeout = start_timeout
        self.started_at = 0.0

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def pid(self) -> int | None:
        return self.server.process.pid if self.server.process else None

    def start(self) -> None:
        self.server.start(timeout=self.start_timeout)
        self.started_at = time.time()

    def running(self) -> bool:
        return self.server.process is not None and self.server.process.poll() is None

    def wait(self) -> str:
        assert self.server.process is not None
        return describe_exit(self.server.process.wait())

    def terminate(self) -> None:
        process = self.server.process
        if process is not None and process.poll() is None:
            process.terminate()

    def finish(self, grace: float) -> None:
        if self.server.process is not None:
            _finish(self.server.process, grace)


class PostgresServer:
    """The embedded PostgreSQL, started again on the same port and data folder.

    `pg_ctl` detaches the postmaster, so it is not our child: it is watched through a pidfd
    (readable once it exits, whoever its parent) and stopped with SIGINT, PostgreSQL's fast
    shutdown. Its exit status belongs to its new parent and cannot be known here.
    """

    name = "postgres"

    def __init__(self, state_dir: Path, port: int) -> None:
        self.server = EmbeddedPostgres(state_dir, port=port)
        self.log = self.server.log
        self.started_at = 0.0
        self._pid: int | None = None
        self._pidfd: int | None = None

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def pid(self) -> int | None:
        return self._pid

    def start(self) -> None:
        self._close()
        self.server.start()
        self.started_at = time.time()
        pid_file = self.server.data_dir / "postmaster.pid"
        self._pid = int(pid_file.read_text().split("\n", 1)[0])
        with contextlib.suppress(ProcessLookupError):
            self._pidfd = os.pidfd_open(self._pid)

    def running(self) -> bool:
        if self._pidfd is None:
            return False
        ended, _, _ = select.select([self._pidfd], [], [], 0)
        return not ended

    def wait(self) -> str:
        if self._pidfd is not None:
            select.select([self._pidfd], [], [])
        return f"postmaster {self._pid} ended"

    def terminate(self) -> None:
        self._signal(signal.SIGINT)

    def finish(self, grace: float) -> None:
        if self._pidfd is None:
            return
        ended, _, _ = select.select([self._pidfd], [], [], grace)
        if not ended:
            self._signal(signal.SIGKILL)
            select.select([self._pidfd], [], [])

    def _signal(self, sig: signal.Signals) -> None:
        if self._pidfd is not None:
            with contextlib.suppress(ProcessLookupError):
                signal.pidfd_send_signal(self._pidfd, sig)

    def _close(self) -> None:
        # Only between lives: the watcher of the previous one has returned from `wait`.
        if self._pidfd is not None:
            os.close(self._pidfd)
            self._pidfd = None
