"""The gateway served by uvicorn on a loopback port, for tests and benchmarks over real servers."""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass
from pathlib import Path

import uvicorn

from gateway.application.ports import PlanValidator, accept_any_plan
from gateway.bootstrap import create_gateway_app
from gateway.entrypoints.server import server_config
from gateway.settings import GatewaySettings
from infra.settings import Settings


@dataclass
class ServedGateway:
    url: str
    server: uvicorn.Server
    thread: threading.Thread
    artifacts: Path

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=20)


def serve_gateway(
    database_url: str,
    nats_url: str | None,
    artifacts: Path,
    gateway_settings: GatewaySettings,
    plan_validator: PlanValidator = accept_any_plan,
    fetch_allow: str = "",
) -> ServedGateway:
    """Start uvicorn in a thread of its own (its own event loop), on a free loopback port."""
    settings = Settings(
        database_url=database_url, nats_url=nats_url, artifacts=artifacts, fetch_allow=fetch_allow
    )
    app = create_gateway_app(settings, gateway_settings, plan_validator)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = server_config(
        app,
        gateway_settings,
        log_level="warning",
        ws="websockets-sansio",
        lifespan="on",
        timeout_graceful_shutdown=5,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    for _ in range(400):
        if server.started or not thread.is_alive():
            break
        threading.Event().wait(0.025)
    if not server.started:
        raise RuntimeError("the gateway did not start")
    return ServedGateway(f"http://127.0.0.1:{port}", server, thread, artifacts)
