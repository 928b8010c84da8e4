"""Edges of the app: the demo's `RECTO_AUTH=off`, and unhandled errors as 500 problems."""

from __future__ import annotations

import logging
import socket
import threading
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from gateway.entrypoints.problems import install_problem_handlers

pytestmark = pytest.mark.integration


async def test_auth_off_admits_everyone_and_says_so_loudly(
    start_gateway: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="gateway"):
        served = start_gateway(auth="off")
    assert any(
        "RECTO_AUTH=off" in r.getMessage() and r.levelno == logging.WARNING for r in caplog.records
    )
    async with httpx.AsyncClient(base_url=served.url) as client:
        assert (await client.get("/v1/corpora")).status_code == 200
        created = await client.post("/v1/corpora", json={"slug": "demo", "title": "Demo"})
    assert created.status_code == 202


def test_an_unhandled_error_is_a_500_problem_without_internals() -> None:
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret connection string")

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="critical", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        while not server.started:
            threading.Event().wait(0.02)
        response = httpx.get(f"http://127.0.0.1:{sock.getsockname()[1]}/boom")
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "https://recto.dev/problems/internal-error"
    assert problem["instance"] == "/boom"
    assert "secret" not in response.text
