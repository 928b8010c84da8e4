"""The FastAPI application: routers, problem details, metrics; state comes from a lifespan."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.types import Scope

from gateway.entrypoints import (
    artifacts,
    asyncapi,
    commands,
    content_search,
    edition_reads,
    editions,
    events,
    feed,
    health,
    reads,
    search,
    transcription_imports,
    uploads,
)
from gateway.entrypoints.consumers import router as consumers_router
from gateway.entrypoints.context import GatewayContext
from gateway.entrypoints.dashboard import install_dashboard
from gateway.entrypoints.keys import router as keys_router
from gateway.entrypoints.metrics import GatewayMetrics
from gateway.entrypoints.problems import install_problem_handlers
from gateway.entrypoints.request_limits import BodyLimit, RequestLimits
from gateway.entrypoints.text_guard import ControlCharacterGuard
from gateway.entrypoints.timing import RequestTiming
from gateway.settings import GatewaySettings

ContextFactory = Callable[[GatewayMetrics], AbstractAsyncContextManager[GatewayContext]]
_UPLOAD = re.compile(r"^/v1/corpora/[^/]+/uploads/?$")
# Room for the multipart envelope around the files, which the endpoint itself counts.
_MULTIPART_ENVELOPE = 1024 * 1024


def create_app(start: ContextFactory, settings: GatewaySettings | None = None) -> FastAPI:
    """`start` builds the gateway's context (and its background tasks) for the app's lifetime;
    `settings.cors_origins` may read answers from a browser (IIIF viewers load manifests)."""
    metrics = GatewayMetrics()
    settings = settings or GatewaySettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with start(metrics) as context:
            app.state.context = context
            yield

    app = FastAPI(
        title="Recto gateway",
        version="1.0.0",
        description="Commands, read models, artifacts and the live feed of Recto.",
        lifespan=lifespan,
    )
    install_problem_handlers(app, retry_after_seconds=settings.retry_after_seconds)
    # Order matters where paths overlap: fixed segments before `{export}` parameters.
    for module in (
        health,
        asyncapi,
        commands,
        uploads,
        reads,
        search,
        content_search,
        events,
        feed,
        editions,
        edition_reads,
        transcription_imports,
        artifacts,
    ):
        app.include_router(module.router)
    app.include_router(keys_router)
    app.include_router(consumers_router)
    install_dashboard(app)
    # The last added runs first: timing sees every answer, limits see the body before the app.
    app.add_middleware(ControlCharacterGuard)
    app.add_middleware(RequestLimits, limit_for=body_limits(settings))
    app.add_middleware(RequestTiming, metrics=metrics)
    # Reads only, never with credentials: a key travels in a header the viewer is given.
    app.add_middleware(
        CORSMiddleware,
        allow_origins=list(settings.cors_origins),
        allow_methods=["GET", "HEAD"],
        allow_headers=["X-API-Key", "Authorization", "If-None-Match"],
        expose_headers=["ETag"],
        allow_credentials=False,
    )
    return app


def body_limits(settings: GatewaySettings) -> Callable[[Scope], BodyLimit]:
    """Uploads keep their own size and time; every other body is JSON, and small."""
    upload = BodyLimit(
        settings.upload_max_bytes + _MULTIPART_ENVELOPE, settings.upload_timeout_seconds
    )
    other = BodyLimit(settings.body_max_bytes, settings.body_timeout_seconds)

    def limit_for(scope: Scope) -> BodyLimit:
        return upload if _UPLOAD.match(scope["path"]) else other

    return limit_for
