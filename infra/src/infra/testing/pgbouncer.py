"""PgBouncer (Debian's `pgbouncer`) on a free loopback port, in front of a test's PostgreSQL.

Its configuration lives in a folder of its own; every database of the server behind it is
reachable under its own name. PgBouncer refuses to run as root, so as root it runs as `nobody`.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path
from types import TracebackType
from typing import Any, Literal
from urllib.parse import unquote, urlsplit, urlunsplit

from infra.embedded.process import free_port, stop_process, wait_for_port
from infra.embedded.service_user import SERVICE_USER

PoolMode = Literal["session", "transaction", "statement"]


def pgbouncer_binary() -> str | None:
    """Debian installs it in /usr/sbin, which a user's PATH may lack."""
    return shutil.which("pgbouncer", path=f"{os.environ.get('PATH', '')}{os.pathsep}/usr/sbin")


class PgBouncer:
    def __init__(
        self,
        upstream_url: str,
        *,
        pool_mode: PoolMode = "transaction",
        pool_size: int = 4,
        max_client_conn: int = 200,
    ) -> None:
        """`pool_size`: server connections per database and user, whatever the clients."""
        self.upstream = urlsplit(upstream_url)
        self.pool_mode, self.pool_size, self.max_client_conn = pool_mode, pool_size, max_client_conn
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="recto-pgbouncer-", dir="/tmp"))
        self.log = self.folder / "pgbouncer.log"
        self._process: subprocess.Popen[bytes] | None = None

    def url(self, database: str) -> str:
        """`postgresql+asyncpg://…` to `database` through the pooler."""
        netloc = f"{self.upstream.username or 'postgres'}@127.0.0.1:{self.port}"
        return urlunsplit(("postgresql+asyncpg", netloc, f"/{database}", "", ""))

    def _config(self) -> str:
        user = unquote(self.upstream.username or "postgres")
        password = unquote(self.upstream.password or "")
        server = f"host={self.upstream.hostname} port={self.upstream.port or 5432} user={user}"
        if password:
            server += f" password={password}"
        return "\n".join(
            [
                "[databases]",
                f"* = {server}",  # any database name: the server's database of that name
                "[pgbouncer]",
                "listen_addr = 127.0.0.1",
                f"listen_port = {self.port}",
                "unix_socket_dir =",
                "auth_type = trust",
                f"auth_file = {self.folder / 'users.txt'}",
                f"pool_mode = {self.pool_mode}",
                f"default_pool_size = {self.pool_size}",
                "min_pool_size = 0",
                "reserve_pool_size = 0",
                f"max_client_conn = {self.max_client_conn}",
                f"logfile = {self.log}",
                f"pidfile = {self.folder / 'pgbouncer.pid'}",
                f"admin_users = {user}",
                # Sent by some drivers at start-up; PgBouncer would refuse the connection.
                "ignore_startup_parameters = extra_float_digits",
                "",
            ]
        )

    def start(self, timeout: float = 30.0) -> PgBouncer:
        binary = pgbouncer_binary()
        if binary is None:
            raise FileNotFoundError("pgbouncer not found: install Debian's pgbouncer (make setup)")
        user = unquote(self.upstream.username or "postgres")
        (self.folder / "users.txt").write_text(f'"{user}" ""\n')
        config = self.folder / "pgbouncer.ini"
        config.write_text(self._config())
        options: dict[str, Any] = {}
        if os.geteuid() == 0:
            service_user = pwd.getpwnam(SERVICE_USER)
            os.chown(self.folder, service_user.pw_uid, service_user.pw_gid)
            self.folder.chmod(0o700)
            for path in (config, self.folder / "users.txt"):
                os.chown(path, service_user.pw_uid, service_user.pw_gid)
            options = {
                "user": service_user.pw_uid,
                "group": service_user.pw_gid,
                "extra_groups": [],
            }
        # Quiet: it logs to its file as well as to standard error.
        self._process = subprocess.Popen(
            [binary, "--quiet", str(config)],
            stdin=subprocess.DEVNULL,
            process_group=0,
            **options,
        )
        wait_for_port("127.0.0.1", self.port, timeout=timeout, process=self._process, log=self.log)
        return self

    def stop(self) -> None:
        if self._process is not None:
            stop_process(self._process)
            self._process = None
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> PgBouncer:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
