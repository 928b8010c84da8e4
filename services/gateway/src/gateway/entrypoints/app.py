"""The FastAPI application: routers, problem details, metrics; state comes from a lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from gateway.entrypoints import (
    artifacts,
    commands,
    content_search,
    events,
    feed,
    health,
    reads,
    search,
    uploads,
)
from gateway.entrypoints.context import GatewayContext
from gateway.entrypoints.dashboard import install_dashboard
from gateway.entrypoints.metrics import GatewayMetrics
from gateway.entrypoints.problems import install_problem_handlers
from gateway.entrypoints.timing import RequestTiming

ContextFactory = Callable[[GatewayMetrics], AbstractAsyncContextManager[GatewayContext]]


def create_app(start: ContextFactory, cors_origins: Sequence[str] = ("*",)) -> FastAPI:
    """`start` builds the gateway's context (and its background tasks) for the app's lifetime;
    `cors_origins` may read answers from a browser (IIIF viewers load manifests and search)."""
    metrics = GatewayMetrics()

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
    install_problem_handlers(app)
    # Order matters where paths overlap: fixed segments before `{export}` parameters.
    for module in (
        health,
        commands,
        uploads,
        reads,
        search,
        content_search,
        events,
        feed,
        artifacts,
    ):
        app.include_router(module.router)
    install_dashboard(app)
    app.add_middleware(RequestTiming, metrics=metrics)
    # Reads only, never with credentials: a key travels in a header the viewer is given.
    app.add_middleware(
        CORSMiddleware,
        allow_origins=list(cors_origins),
        allow_methods=["GET", "HEAD"],
        allow_headers=["X-API-Key", "Authorization", "If-None-Match"],
        expose_headers=["ETag"],
        allow_credentials=False,
    )
    return app
