"""The gateway's uvicorn server wakes once a second, and at once when told to exit."""

from __future__ import annotations

import signal
import socket
import threading
import time
from email.utils import parsedate_to_datetime

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from gateway.entrypoints.server import GatewayServer

pytestmark = pytest.mark.integration
PATIENCE_SECONDS = 60.0  # a loaded machine may be slow; nothing here waits on a clock


def test_it_answers_with_a_date_and_stops_as_soon_as_it_is_told() -> None:
    app = FastAPI()

    @app.get("/")
    async def root() -> dict[str, str]:
        return {"ok": "yes"}

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = GatewayServer(uvicorn.Config(app, log_level="critical", lifespan="off"))
    # Without the wake-up, exiting would wait for this tick: far longer than the test.
    server.tick_seconds = 3600.0
    # A thread of its own, as uvicorn's signal handling is for the main thread only.
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + PATIENCE_SECONDS
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        threading.Event().wait(0.02)
    response = httpx.get(f"http://127.0.0.1:{sock.getsockname()[1]}/")
    assert response.status_code == 200
    assert parsedate_to_datetime(response.headers["date"]).tzinfo is not None

    server.handle_exit(signal.SIGTERM, None)  # what the signal handler calls
    thread.join(PATIENCE_SECONDS)
    assert not thread.is_alive()
