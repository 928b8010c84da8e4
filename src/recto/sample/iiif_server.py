"""A small IIIF Image API 3 and Presentation 3 server for the sample pages, on loopback.

It serves `manifest.json`, each image's `info.json` and its images at Image API level 1
(`recto.sample.image_api`), like the image servers of libraries do — enough for Recto to ingest
the sample the way it ingests a real manuscript, and for a viewer to tile it.

It loses nothing the original carries: a whole page at full size is the original file, byte for
byte (a TIFF stays a TIFF, with its resolution); a whole page made smaller is a PNG of a lossless
original, a JPEG of a JPEG, each with the resolution scaled to its size; and `info.json`
declares the original's resolution as a IIIF physdim service, as a careful library's server
would. Regions and rotations are rendered as JPEG.
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
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from analyzer.formats.images import credible, declared_resolution
from infra.embedded.process import free_port
from recto.sample.image_api import (
    EXTRA_FEATURES,
    TILE_SIZE,
    BadImageRequest,
    UnsupportedImageRequest,
    render,
    scale_factors,
    size,
)
from recto.sample.pages import SamplePage

IIIF3 = "http://iiif.io/api/presentation/3/context.json"
IMAGE3 = "http://iiif.io/api/image/3/context.json"
_CORS = {"Access-Control-Allow-Origin": "*"}
WHOLE_PAGE = ("full", "0", "default")  # region, rotation, quality


def sample_app(pages: list[SamplePage], base: str, label: str) -> Starlette:
    by_name = {page.name: page for page in pages}

    def manifest(_: Request) -> JSONResponse:
        return JSONResponse(_manifest(pages, base, label))

    def info(request: Request) -> Response:
        page = by_name.get(request.path_params["name"])
        if page is None:
            return Response(status_code=404)
        document: dict[str, Any] = {
            "@context": IMAGE3,
            "id": f"{base}/image/{page.name}",
            "type": "ImageService3",
            "protocol": "http://iiif.io/api/image",
            "profile": "level1",
            "width": page.width,
            "height": page.height,
            "tiles": [{"width": TILE_SIZE, "scaleFactors": scale_factors(page.width, page.height)}],
            "extraFeatures": EXTRA_FEATURES,
        }
        if (ppi := credible(declared_resolution(page.data))) is not None:
            document["service"] = [
                {
                    "@context": "http://iiif.io/api/annex/services/physdim/1/context.json",
                    "profile": "http://iiif.io/api/annex/services/physdim",
                    "physicalScale": 1.0 / ppi,
                    "physicalUnits": "in",
                }
            ]
        # Level 1: the JSON-LD media type when asked for, and CORS for viewers in browsers.
        ld = "application/ld+json" in request.headers.get("accept", "")
        media_type = f'application/ld+json;profile="{IMAGE3}"' if ld else "application/json"
        return JSONResponse(document, media_type=media_type, headers=_CORS)

    def service(request: Request) -> Response:
        return RedirectResponse(f"{request.url}/info.json", status_code=303, headers=_CORS)

    def image(request: Request) -> Response:
        page = by_name.get(request.path_params["name"])
        if page is None:
            return Response(status_code=404, headers=_CORS)
        params = request.path_params
        whole = (params["region"], params["rotation"], params["quality"]) == (
            "full",
            "0",
            "default",
        )
        try:
            if whole:
                data, media_type = _rendered(
                    page.data, size(params["size"], page.width, page.height)
                )
                return Response(data, media_type=media_type, headers=_CORS)
            jpeg = render(
                page.data, params["region"], params["size"], params["rotation"], params["quality"]
            )
        except BadImageRequest as error:
            return Response(str(error), status_code=400, headers=_CORS)
        except UnsupportedImageRequest as error:
            return Response(str(error), status_code=501, headers=_CORS)
        return Response(jpeg, media_type="image/jpeg", headers=_CORS)

    return Starlette(
        routes=[
            Route("/manifest.json", manifest),
            Route("/image/{name}/info.json", info),
            Route("/image/{name}", service),
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


def _rendered(original: bytes, wanted: tuple[int, int]) -> tuple[bytes, str]:
    """The whole original at `wanted`: itself when full size, else a PNG or (of a JPEG) a JPEG."""
    with Image.open(io.BytesIO(original)) as opened:
        source_format, source_size = opened.format, opened.size
        if wanted == source_size:
            return original, Image.MIME.get(source_format or "", "application/octet-stream")
        rendered = opened.convert("L" if opened.mode in ("1", "L", "I;16") else "RGB")
    rendered = rendered.resize(wanted, Image.Resampling.LANCZOS)
    options: dict[str, Any] = {}
    if (ppi := credible(declared_resolution(original))) is not None:
        scaled = ppi * wanted[0] / source_size[0]
        options["dpi"] = (scaled, scaled)
    buffer = io.BytesIO()
    if source_format == "JPEG":
        rendered.save(buffer, "JPEG", quality=95, **options)
        return buffer.getvalue(), "image/jpeg"
    rendered.save(buffer, "PNG", **options)
    return buffer.getvalue(), "image/png"
