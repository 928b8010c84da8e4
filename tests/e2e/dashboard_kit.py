"""What the dashboard's browser tests share: Chromium, watched pages, a key per editor, and
sample pages published on loopback with images that can be held back or broken."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import httpx
import uvicorn
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from infra.embedded.process import free_port
from infra.testing.patience import patient
from recto.sample.iiif_server import sample_app
from recto.sample.pages import SamplePage

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
HOLD_LIMIT = 120.0
"""However a test ends, a held image is let go after this long (the server must stop)."""


@dataclass
class Watched:
    """A browser context whose dashboard uses `key`; script errors and refused requests are
    collected in `problems` as `"<status> <url>"` or the error's text."""

    context: Any
    page: Any
    problems: list[str] = field(default_factory=list)

    def unexpected(self, *allowed: str) -> list[str]:
        """The problems other than refused requests to paths containing one of `allowed`."""
        return [
            p
            for p in self.problems
            if not any(a in p for a in allowed) and not p.startswith("Failed to load resource")
        ]


def watched(browser: Any, key: str) -> Watched:
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    context.add_init_script(f"localStorage.setItem('recto.apiKey', {json.dumps(key)})")
    opened = Watched(context, context.new_page())

    def refused(response: Any) -> None:
        if response.status >= 400:
            opened.problems.append(f"{response.status} {response.url}")

    def logged(message: Any) -> None:
        if message.type == "error":
            opened.problems.append(message.text)

    opened.page.on("pageerror", lambda error: opened.problems.append(str(error)))
    opened.page.on("response", refused)
    opened.page.on("console", logged)
    return opened


def make_key(gateway_url: str, admin: str, name: str, scope: str = "write") -> str:
    created = httpx.post(
        f"{gateway_url}/v1/keys",
        json={"name": name, "scopes": [scope]},
        headers={"X-API-Key": admin},
        timeout=30,
    )
    assert created.status_code == 201, created.text
    secret: str = created.json()["secret"]
    return secret


@dataclass
class Publisher:
    """A manifest of sample pages on loopback. While `released` is clear, image requests wait
    for it; an image named in `broken` is a 404."""

    url: str
    broken: set[str] = field(default_factory=set)
    released: threading.Event = field(default_factory=threading.Event)


@contextlib.contextmanager
def publishing(pages: list[SamplePage], label: str) -> Iterator[Publisher]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    publisher = Publisher(f"{base}/manifest.json")
    publisher.released.set()
    inner = sample_app(pages, base, label)

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and path.startswith("/image/") and not path.endswith(".json"):
            await anyio.to_thread.run_sync(publisher.released.wait, HOLD_LIMIT)
            if path.split("/")[2] in publisher.broken:
                await Response("no such image", status_code=404)(scope, receive, send)
                return
        await inner(scope, receive, send)

    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + patient(30)
    while not server.started:
        assert thread.is_alive(), "the sample publisher stopped while starting"
        assert time.monotonic() < deadline, "the sample publisher did not start"
        time.sleep(0.02)
    try:
        yield publisher
    finally:
        publisher.released.set()
        server.should_exit = True
        thread.join(30)
