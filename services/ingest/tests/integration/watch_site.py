"""A IIIF publisher on loopback whose manifests change during a test, with ETag and 304."""

from __future__ import annotations

import email.utils
import hashlib
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .conftest import ServerState


@dataclass(frozen=True)
class SeenRequest:
    path: str
    headers: dict[str, str]
    status: int
    at: float


@dataclass
class WatchSite:
    port: int = 0
    documents: dict[str, bytes | int] = field(default_factory=dict)
    modified: dict[str, str] = field(default_factory=dict)
    requests: list[SeenRequest] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return f"{self.base}{path}"

    def publish(self, path: str, document: bytes | int) -> None:
        """Serve `document` (a body, or an error status) at `path` from now on."""
        with self.lock:
            self.documents[path] = document
            self.modified[path] = email.utils.formatdate(time.time(), usegmt=True)

    def publish_manifest(self, path: str, pages: list[str]) -> None:
        manifest = ServerState("127.0.0.1", self.port).manifest(pages)
        self.publish(path, json.dumps(manifest).encode())

    def seen(self, path: str) -> list[SeenRequest]:
        with self.lock:
            return [r for r in self.requests if r.path == path]


def etag_of(body: bytes) -> str:
    return f'"{hashlib.sha256(body).hexdigest()[:16]}"'


class Handler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        site: WatchSite = self.server.site  # type: ignore[attr-defined]
        with site.lock:
            document = site.documents.get(self.path, 404)
            modified = site.modified.get(self.path)
        headers = {name.lower(): value for name, value in self.headers.items()}
        status = self._answer(document, modified, headers.get("if-none-match"))
        with site.lock:
            site.requests.append(SeenRequest(self.path, headers, status, time.monotonic()))

    def _answer(
        self, document: bytes | int, modified: str | None, if_none_match: str | None
    ) -> int:
        if isinstance(document, int):
            self._send(document, b"failing on purpose", {})
            return document
        validators = {"ETag": etag_of(document), "Last-Modified": modified or ""}
        if if_none_match == validators["ETag"]:
            self._send(304, b"", validators)
            return 304
        self._send(200, document, {"Content-Type": "application/json", **validators})
        return 200

    def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def serve_site() -> Iterator[WatchSite]:
    site = WatchSite()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.site = site  # type: ignore[attr-defined]
    site.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
