"""What the job reliability tests share: a publisher on loopback and a gateway in-process."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from uuid import UUID

import httpx

from gateway.application.ports import PlanValidator, accept_any_plan
from gateway.bootstrap import create_gateway_app
from gateway.entrypoints.context import GatewayContext
from gateway.settings import GatewaySettings
from infra.settings import Settings
from infra.testing.pipeline import eventually

IIIF3 = "http://iiif.io/api/presentation/3/context.json"


@dataclass
class Site:
    """Documents and images served on loopback, as the test sets them; every request counted."""

    routes: dict[str, tuple[int, bytes, str]] = field(default_factory=dict)
    hits: list[str] = field(default_factory=list)
    base: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str) -> str:
        return f"{self.base}{path}"

    def serve_json(self, path: str, document: dict[str, Any]) -> None:
        self.routes[path] = (200, json.dumps(document).encode(), "application/json")

    def serve_image(self, path: str, data: bytes) -> None:
        self.routes[path] = (200, data, "image/png")

    def fail(self, path: str, status: int = 404) -> None:
        self.routes[path] = (status, b"not here", "text/plain")

    def count(self, path: str) -> int:
        with self.lock:
            return self.hits.count(path)

    def collection(self, path: str, *members: tuple[str, str]) -> None:
        """A IIIF 3 collection listing `(path, "Manifest" | "Collection")` members."""
        self.serve_json(
            path,
            {
                "@context": IIIF3,
                "id": self.url(path),
                "type": "Collection",
                "label": {"en": [path]},
                "items": [{"id": self.url(m), "type": kind} for m, kind in members],
            },
        )

    def manifest(self, path: str, *images: str) -> None:
        canvases = []
        for n, image in enumerate(images):
            canvas = self.url(f"{path}/canvas/{n}")
            body = {"id": self.url(image), "type": "Image", "format": "image/png"}
            painting = {
                "id": f"{canvas}/a",
                "type": "Annotation",
                "motivation": "painting",
                "target": canvas,
                "body": body,
            }
            items = [{"id": f"{canvas}/p", "type": "AnnotationPage", "items": [painting]}]
            canvases.append(
                {"id": canvas, "type": "Canvas", "width": 1400, "height": 2000, "items": items}
            )
        self.serve_json(
            path,
            {
                "@context": IIIF3,
                "id": self.url(path),
                "type": "Manifest",
                "label": {"en": [path]},
                "items": canvases,
            },
        )


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        site: Site = self.server.site  # type: ignore[attr-defined]
        with site.lock:
            site.hits.append(self.path)
        status, body, media_type = site.routes.get(self.path, (404, b"", "text/plain"))
        self.send_response(status)
        self.send_header("Content-Type", media_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@contextlib.contextmanager
def serving_site() -> Iterator[Site]:
    site = Site()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    server.site = site  # type: ignore[attr-defined]
    site.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@dataclass
class Gateway:
    client: httpx.AsyncClient
    context: GatewayContext

    async def corpus(self, slug: str, profile: str = "default") -> UUID:
        response = await self.client.post(
            "/v1/corpora", json={"slug": slug, "title": slug, "profile": profile}
        )
        assert response.status_code == 202, response.text
        return UUID(response.json()["id"])

    async def import_url(self, corpus_id: UUID, url: str, plan: dict[str, Any]) -> UUID:
        response = await self.client.post(
            f"/v1/corpora/{corpus_id}/imports",
            json={"source": {"kind": "iiif", "url": url}, "plan": plan},
        )
        assert response.status_code == 202, response.text
        return UUID(response.json()["job_id"])

    async def job(self, job_id: UUID) -> dict[str, Any]:
        response = await self.client.get(f"/v1/jobs/{job_id}")
        return dict(response.json()) if response.status_code == 200 else {}

    async def job_when(self, job_id: UUID, *statuses: str, timeout: float = 60) -> dict[str, Any]:
        async def reached() -> bool:
            return (await self.job(job_id)).get("status") in statuses

        await eventually(reached, timeout=timeout)
        return await self.job(job_id)


@contextlib.asynccontextmanager
async def gateway_running(
    settings: Settings, plan_validator: PlanValidator = accept_any_plan, **overrides: Any
) -> AsyncIterator[Gateway]:
    """The gateway app with its background tasks (projection, completion, sweeper), called
    in-process over ASGI; auth is off, as in the embedded demo."""
    values: dict[str, Any] = {
        "auth": "off",
        "completion_poll_seconds": 0.05,
        "rate_limit_requests": 100_000,
    }
    values.update(overrides)
    app = create_gateway_app(settings, GatewaySettings.model_validate(values), plan_validator)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
            yield Gateway(client, app.state.context)
