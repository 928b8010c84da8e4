"""A local IIIF image server on loopback: Image API 2 and 3, manifests, and misbehaviours.

It renders JPEGs on demand at the size asked for, so a 20-page manuscript costs little, and it
records every request so tests can prove what never reached it.
"""

from __future__ import annotations

import io
import json
import re
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import pytest
from PIL import Image, ImageDraw

from infra.addresses import AddressPolicy
from infra.eventstore import PostgresEventStore
from ingest.adapters.http_fetcher import FetchSettings, HttpxFetcher

if TYPE_CHECKING:
    from .watch_site import WatchSite

IMAGE = re.compile(r"^/iiif/(?P<v>[23])/(?P<name>[^/]+)/(?P<rest>.*)$")
STREAM_CHUNK = b"\xff\xd8\xff\xe0" + b"\x00" * (1 << 20)


def master_size(name: str) -> tuple[int, int]:
    """Each page has its own master size: p07 is 1507×2014, landscape pages are wider."""
    number = int(re.sub(r"\D", "", name) or 0)
    return (1500 + number, 2000 + 2 * number) if number % 5 else (2400 + number, 1600)


def render_jpeg(width: int, height: int, text: str) -> bytes:
    image = Image.new("RGB", (width, height), (236, 228, 210))
    ImageDraw.Draw(image).text((width // 10, height // 10), text, fill=(20, 20, 20))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


@dataclass
class ServerState:
    host: str
    port: int = 0
    hits: list[str] = field(default_factory=list)
    failures_left: dict[str, int] = field(default_factory=dict)
    bytes_streamed: int = 0
    in_flight: int = 0
    max_in_flight: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.port}"

    def manifest(self, pages: list[str], version: int = 3) -> dict[str, Any]:
        if version == 2:
            return self._manifest2(pages)
        items = []
        for index, name in enumerate(pages):
            width, height = master_size(name)
            canvas = f"{self.base}/canvas/{index}"
            service = f"{self.base}/iiif/3/{name}"
            items.append(
                {
                    "id": canvas,
                    "type": "Canvas",
                    "label": {"none": ["NP"]},
                    "width": width,
                    "height": height,
                    "items": [
                        {
                            "id": f"{canvas}/page",
                            "type": "AnnotationPage",
                            "items": [
                                {
                                    "id": f"{canvas}/anno",
                                    "type": "Annotation",
                                    "motivation": "painting",
                                    "target": canvas,
                                    "body": {
                                        "id": f"{service}/full/max/0/default.jpg",
                                        "type": "Image",
                                        "format": "image/jpeg",
                                        "width": width,
                                        "height": height,
                                        "service": [
                                            {
                                                "id": service,
                                                "type": "ImageService3",
                                                "profile": "level1",
                                            }
                                        ],
                                    },
                                }
                            ],
                        }
                    ],
                }
            )
        return {
            "@context": "http://iiif.io/api/presentation/3/context.json",
            "id": f"{self.base}/manifest.json",
            "type": "Manifest",
            "label": {"en": ["Local test manuscript"]},
            "items": items,
        }

    def _manifest2(self, pages: list[str]) -> dict[str, Any]:
        canvases = []
        for index, name in enumerate(pages):
            width, height = master_size(name)
            service = f"{self.base}/iiif/2/{name}"
            canvases.append(
                {
                    "@id": f"{self.base}/canvas/{index}",
                    "@type": "sc:Canvas",
                    "label": "NP",
                    "width": width,
                    "height": height,
                    "images": [
                        {
                            "@type": "oa:Annotation",
                            "motivation": "sc:painting",
                            "resource": {
                                "@id": f"{service}/full/full/0/default.jpg",
                                "@type": "dctypes:Image",
                                "width": width,
                                "height": height,
                                "service": {
                                    "@context": "http://iiif.io/api/image/2/context.json",
                                    "@id": service,
                                    "profile": "http://iiif.io/api/image/2/level1.json",
                                },
                            },
                            "on": f"{self.base}/canvas/{index}",
                        }
                    ],
                }
            )
        return {
            "@context": "http://iiif.io/api/presentation/2/context.json",
            "@id": f"{self.base}/manifest2.json",
            "@type": "sc:Manifest",
            "label": "v2 book",
            "sequences": [{"@type": "sc:Sequence", "canvases": canvases}],
        }


class Handler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
        return

    def do_GET(self) -> None:
        state = self.server.state  # type: ignore[attr-defined]
        with state.lock:
            state.hits.append(self.path)
            state.in_flight += 1
            state.max_in_flight = max(state.max_in_flight, state.in_flight)
        try:
            self._route(state)
        except (BrokenPipeError, ConnectionResetError):
            pass
        finally:
            with state.lock:
                state.in_flight -= 1

    def _route(self, state: ServerState) -> None:
        url = urlsplit(self.path)
        path, query = url.path, parse_qs(url.query)
        if path.startswith("/manifest"):
            pages = [f"p{n:02d}" for n in range(int(query.get("pages", ["20"])[0]))]
            pages = query["names"][0].split(",") if "names" in query else pages
            version = 2 if path.startswith("/manifest2") else 3
            return self._send(
                200, json.dumps(state.manifest(pages, version)).encode(), "application/json"
            )
        if path == "/redirect":
            self.send_response(302)
            self.send_header("Location", query["to"][0])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        if path == "/slow":
            threading.Event().wait(0.15)
            return self._send(200, b"{}", "application/json")
        if path.startswith("/static/"):
            return self._static(state, path.removeprefix("/static/"))
        if match := IMAGE.match(path):
            return self._image(state, int(match["v"]), match["name"], match["rest"])
        return self._send(404, b"not found", "text/plain")

    def _image(self, state: ServerState, version: int, name: str, rest: str) -> None:
        if name.startswith("missing"):
            return self._send(404, b"<html>no such image</html>", "text/html")
        if name.startswith("flaky"):
            with state.lock:
                left = state.failures_left.setdefault(name, 2)
                state.failures_left[name] = left - 1
            if left > 0:
                self.send_response(503)
                self.send_header("Retry-After", str(state.extra.get("retry_after", 0)))
                self.send_header("Content-Length", "0")
                self.end_headers()
                return None
        width, height = master_size(name)
        service = f"{state.base}/iiif/{version}/{name}"
        if rest == "info.json":
            info = {"width": width, "height": height, "protocol": "http://iiif.io/api/image"}
            if version == 3:
                info |= {
                    "@context": "http://iiif.io/api/image/3/context.json",
                    "id": service,
                    "type": "ImageService3",
                    "profile": "level1",
                }
            else:
                info |= {
                    "@context": "http://iiif.io/api/image/2/context.json",
                    "@id": service,
                    "profile": ["http://iiif.io/api/image/2/level1.json"],
                }
            return self._send(200, json.dumps(info).encode(), "application/json")
        size = rest.split("/")[1]
        if size in ("max", "full"):
            w, h = width, height
        elif size.endswith(","):
            w = int(size[:-1])
            h = round(height * w / width)
        else:
            w, h = (int(part) for part in size.split(","))
        return self._send(200, render_jpeg(w, h, name), "image/jpeg")

    def _static(self, state: ServerState, name: str) -> None:
        if name == "page.jpg":
            return self._send(200, render_jpeg(900, 1200, name), "image/jpeg")
        if name == "html.jpg":
            return self._send(200, b"<!DOCTYPE html><html><body>Login</body></html>", "image/jpeg")
        if name == "bomb.png":
            return self._send(200, state.extra["bomb"], "image/png")
        if name == "truncated.jpg":
            whole = render_jpeg(1200, 1600, "cut")
            return self._send(200, whole[: len(whole) // 3], "image/jpeg")
        if name == "huge.jpg":  # 200 MB, one chunk at a time, no length: read until close
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.end_headers()
            for _ in range(200):
                self.wfile.write(STREAM_CHUNK)
                with state.lock:
                    state.bytes_streamed += len(STREAM_CHUNK)
            return None
        return self._send(404, b"", "text/plain")

    def _send(self, status: int, body: bytes, media_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", media_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def serve(host: str) -> Iterator[ServerState]:
    state = ServerState(host)
    server = ThreadingHTTPServer((host, 0), Handler)
    server.daemon_threads = True
    server.state = state  # type: ignore[attr-defined]
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def iiif_server(images: Any) -> Iterator[ServerState]:
    for state in serve("127.0.0.1"):
        state.extra["bomb"] = images.huge_png()
        yield state


@pytest.fixture
def private_server() -> Iterator[ServerState]:
    """A second server on 127.0.0.2: the target a redirect must never reach."""
    yield from serve("127.0.0.2")


@pytest.fixture
def site() -> Iterator[WatchSite]:
    """A publisher whose manifests the test changes (see `watch_site.py`)."""
    from .watch_site import serve_site

    yield from serve_site()


@pytest.fixture
async def store(database_url: str, event_store: PostgresEventStore) -> PostgresEventStore:
    """The event store, with ingest's own tables migrated."""
    from ingest.adapters.migrate import upgrade_async

    await upgrade_async(database_url)
    return event_store


@pytest.fixture
async def fetcher() -> AsyncIterator[HttpxFetcher]:
    """An httpx fetcher for loopback that reports a failure at once, without retrying."""
    fetcher = HttpxFetcher(AddressPolicy.from_allow_list("127.0.0.1"), FetchSettings(retries=0))
    yield fetcher
    await fetcher.aclose()
