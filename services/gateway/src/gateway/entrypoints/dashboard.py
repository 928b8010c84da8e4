"""The live dashboard: one HTML page at `/`, its ES modules and styles under `/dashboard/`;
Mirador for one manifest at `/viewer?manifest=<url>`, from a copy the gateway serves.

Everything it shows comes from the public API and the feed; it is kept out of the OpenAPI
document because it is a client of the API, not part of it.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel

from gateway.entrypoints.security import Context, Reader

STATIC = Path(__file__).resolve().parent.parent / "static"
# Everything is served by the gateway itself: the page must work offline, with no CDN.
_POLICY = (
    "default-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)

# Mirador paints images and reads `info.json` from the image servers a manifest names, and its
# styling library injects `<style>` elements: only scripts stay the gateway's own.
_VIEWER_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src * data: blob:; connect-src *; font-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)

router = APIRouter(include_in_schema=False)


class FeedHead(BaseModel):
    position: int
    consumer_lag: bool
    """Whether `/v1/consumers` can answer: the gateway knows a NATS to ask."""


@router.get("/")
async def dashboard() -> FileResponse:
    return FileResponse(
        STATIC / "index.html",
        media_type="text/html",
        headers={"Cache-Control": "no-cache", "Content-Security-Policy": _POLICY},
    )


@router.get("/viewer")
async def viewer() -> FileResponse:
    return FileResponse(
        STATIC / "viewer.html",
        media_type="text/html",
        headers={"Cache-Control": "no-cache", "Content-Security-Policy": _VIEWER_POLICY},
    )


@router.get("/dashboard/feed-head", response_model=FeedHead)
async def feed_head(context: Context, _: Reader) -> FeedHead:
    """Where the live feed is now (the dashboard loads the read models, then follows from
    here), and whether this gateway can report consumer lag."""
    return FeedHead(position=context.hub.position, consumer_lag=context.consumers is not None)


def install_dashboard(app: FastAPI) -> None:
    app.include_router(router)
    app.mount("/dashboard", StaticFiles(directory=STATIC), name="dashboard")
