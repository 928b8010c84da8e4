"""A fake OpenAI-compatible (and Gemini) server: a real HTTP server on loopback, scripted,
for tests of the analyzer and of what reads its results (never in production)."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0


@dataclass
class FakeVlmServer:
    url: str
    replies: list[Reply] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)

    def chat(self, content: str, delay_s: float = 0.0) -> None:
        """Answer the next call as an OpenAI-compatible server would."""
        message = {"role": "assistant", "content": content}
        self.replies.append(
            Reply(body={"choices": [{"index": 0, "message": message}]}, delay_s=delay_s)
        )

    def gemini(self, content: str) -> None:
        parts = [{"text": content}]
        self.replies.append(
            Reply(body={"candidates": [{"content": {"role": "model", "parts": parts}}]})
        )

    def fail(self, status: int, headers: dict[str, str] | None = None) -> None:
        self.replies.append(Reply(status=status, body={"error": "scripted"}, headers=headers or {}))


def _handler(server: FakeVlmServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            server.requests.append(json.loads(self.rfile.read(length)))
            server.paths.append(self.path)
            server.headers.append({k.lower(): v for k, v in self.headers.items()})
            reply = server.replies.pop(0) if server.replies else Reply(500, {"error": "no reply"})
            if reply.delay_s:
                time.sleep(reply.delay_s)
            body = reply.body if isinstance(reply.body, str) else json.dumps(reply.body or {})
            payload = body.encode("utf-8")
            try:
                self.send_response(reply.status)
                for name, value in {"Content-Type": "application/json", **reply.headers}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout test): nothing left to answer

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler


@contextlib.contextmanager
def running_fake_vlm() -> Iterator[FakeVlmServer]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    server = FakeVlmServer(url=f"http://127.0.0.1:{httpd.server_address[1]}")
    httpd.RequestHandlerClass = _handler(server)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)
