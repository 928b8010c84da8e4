"""A JetStream cluster of `nats-server` processes on loopback: each node its own client port,
route port, store folder and server name, every node routed to every other."""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import TypeVar

import nats
from nats.errors import Error as NatsError
from nats.js.api import StreamInfo

from infra.embedded.nats import nats_server_binary
from infra.embedded.process import free_port, stop_process, wait_for_port

T = TypeVar("T")


@dataclass
class ClusterNode:
    name: str
    port: int
    route_port: int
    state_dir: Path
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.state_dir / "nats.log"


class NatsCluster:
    def __init__(self, state_dir: Path, size: int = 3, name: str = "recto") -> None:
        self.name = name
        self.nodes = [
            ClusterNode(f"{name}-{n}", free_port(), free_port(), Path(state_dir) / f"{name}-{n}")
            for n in range(1, size + 1)
        ]

    @property
    def urls(self) -> list[str]:
        return [node.url for node in self.nodes]

    def node(self, name: str) -> ClusterNode:
        (found,) = [node for node in self.nodes if node.name == name]
        return found

    def start(self, timeout: float = 30.0) -> NatsCluster:
        for node in self.nodes:
            node.state_dir.mkdir(parents=True, exist_ok=True)
            routes = ",".join(
                f"nats://127.0.0.1:{other.route_port}" for other in self.nodes if other is not node
            )
            node.process = subprocess.Popen(
                [
                    str(nats_server_binary()),
                    "-a", "127.0.0.1", "-p", str(node.port),
                    "--server_name", node.name,
                    "-js", "-sd", str(node.state_dir / "jetstream"),
                    "--cluster_name", self.name,
                    "-cluster", f"nats://127.0.0.1:{node.route_port}",
                    "-routes", routes,
                    "-l", str(node.log),
                ],
                stdin=subprocess.DEVNULL,
            )  # fmt: skip
        for node in self.nodes:
            assert node.process is not None
            wait_for_port(
                "127.0.0.1", node.port, timeout=timeout, process=node.process, log=node.log
            )
        return self

    def kill(self, name: str) -> None:
        """SIGKILL one node: no goodbye to its peers or clients, as when a machine dies."""
        node = self.node(name)
        if node.process is not None:
            node.process.kill()
            node.process.wait()
            node.process = None

    def stop(self) -> None:
        for node in self.nodes:
            if node.process is not None:
                stop_process(node.process)
                node.process = None

    def __enter__(self) -> NatsCluster:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


async def until_answered(
    call: Callable[[], Awaitable[T]], timeout: float = 60.0, every: float = 0.25
) -> T:
    """`call`'s result once JetStream answers it: a new cluster elects its meta leader first,
    and a cluster that lost a node elects new stream leaders."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return await call()
        except (NatsError, TimeoutError):
            if time.monotonic() > deadline:
                raise
        await asyncio.sleep(every)


async def jetstream_ready(urls: list[str]) -> None:
    """Wait until the cluster has elected its meta leader and answers JetStream requests."""
    client = await nats.connect(urls)
    try:
        await until_answered(client.jetstream().account_info)
    finally:
        await client.close()


async def stream_info(urls: list[str], stream: str) -> StreamInfo:
    client = await nats.connect(urls)
    try:
        return await until_answered(lambda: client.jetstream().stream_info(stream))
    finally:
        await client.close()


def leader_of(info: StreamInfo) -> str:
    if info.cluster is None or info.cluster.leader is None:
        raise RuntimeError(f"stream {info.config.name} has no leader")
    return info.cluster.leader
