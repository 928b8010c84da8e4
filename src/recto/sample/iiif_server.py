"""A small IIIF Image API 3 and Presentation 3 server for the sample pages, on loopback.

It serves `manifest.json`, each image's `info.json` and any `full/<size>/0/default.jpg`
request, like the image servers of libraries do — enough for Recto to ingest the sample the
way it ingests a real manuscript.
"""

from __future__ import annotations

import contextlib
import io
import threading
import time
from collections.abc import Iterator
from typing import Any

import uvicorn
from PIL import Image
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from infra.embedded.process import free_port
from recto.sample.pages import SamplePage

IIIF3 = "http://iiif.io/api/presentation/3/context.json"


def sample_app(pages: list[SamplePage], base: str, label: str) -> Starlette:
    by_name = {page.name: page for page in pages}

    def manifest(_: Request) -> JSONResponse:
        return JSONResponse(_manifest(pages, base, label))

    def info(request: Request) -> Response:
        page = by_name.get(request.path_params["name"])
        if page is None:
            return Response(status_code=404)
        return JSONResponse(
            {
                "@context": "http://iiif.io/api/image/3/context.json",
                "id": f"{base}/image/{page.name}",
                "type": "ImageService3",
                "protocol": "http://iiif.io/api/image",
                "profile": "level1",
                "width": page.width,
                "height": page.height,
            }
        )

    def image(request: Request) -> Response:
        page = by_name.get(request.path_params["name"])
        if page is None or request.path_params["region"] != "full":
            return Response(status_code=404)
        size = _size(request.path_params["size"], page.width, page.height)
        if size is None:
            return Response("unsupported size", status_code=400)
        with Image.open(io.BytesIO(page.data)) as opened:
            rendered = opened.convert("RGB")
            if size != rendered.size:
                rendered = rendered.resize(size, Image.Resampling.LANCZOS)
            buffer = io.BytesIO()
            rendered.save(buffer, "JPEG", quality=92)
        return Response(buffer.getvalue(), media_type="image/jpeg")

    return Starlette(
        routes=[
            Route("/manifest.json", manifest),
            Route("/image/{name}/info.json", info),
            Route("/image/{name}/{region}/{size}/{rotation}/{quality}.jpg", image),
        ]
    )


def _manifest(pages: list[SamplePage], base: str, label: str) -> dict[str, Any]:
    canvases = []
    for page in pages:
        canvas = f"{base}/canvas/{page.name}"
        service = f"{base}/image/{page.name}"
        canvases.append(
            {
                "id": canvas,
                "type": "Canvas",
                "label": {"none": [page.label]},
                "width": page.width,
                "height": page.height,
                "items": [
                    {
                        "id": f"{canvas}/page",
                        "type": "AnnotationPage",
                        "items": [
                            {
                                "id": f"{canvas}/image",
                                "type": "Annotation",
                                "motivation": "painting",
                                "target": canvas,
                                "body": {
                                    "id": f"{service}/full/max/0/default.jpg",
                                    "type": "Image",
                                    "format": "image/jpeg",
                                    "width": page.width,
                                    "height": page.height,
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
        "@context": IIIF3,
        "id": f"{base}/manifest.json",
        "type": "Manifest",
        "label": {"en": [label]},
        "items": canvases,
    }


def _size(spec: str, width: int, height: int) -> tuple[int, int] | None:
    if spec == "max":
        return width, height
    w_text, _, h_text = spec.lstrip("^!").partition(",")
    try:
        w = int(w_text) if w_text else None
        h = int(h_text) if h_text else None
    except ValueError:
        return None
    if w and h:
        return w, h
    if w:
        return w, max(1, round(height * w / width))
    if h:
        return max(1, round(width * h / height)), h
    return None


@contextlib.contextmanager
def serving(pages: list[SamplePage], label: str = "Recto sample") -> Iterator[str]:
    """Serve the pages on a free loopback port; yields the manifest URL."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    config = uvicorn.Config(
        sample_app(pages, base, label),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="off",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the sample IIIF server did not start")
        time.sleep(0.02)
    try:
        yield f"{base}/manifest.json"
    finally:
        server.should_exit = True
        thread.join(5)
