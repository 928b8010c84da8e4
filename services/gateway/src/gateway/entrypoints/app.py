"""The FastAPI application: routers, problem details, metrics; state comes from a lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from fastapi import FastAPI

from gateway.entrypoints import artifacts, commands, events, feed, health, reads, uploads
from gateway.entrypoints.consumers import router as consumers_router
from gateway.entrypoints.context import GatewayContext
from gateway.entrypoints.dashboard import install_dashboard
from gateway.entrypoints.keys import router as keys_router
from gateway.entrypoints.metrics import GatewayMetrics
from gateway.entrypoints.problems import install_problem_handlers
from gateway.entrypoints.timing import RequestTiming

ContextFactory = Callable[[GatewayMetrics], AbstractAsyncContextManager[GatewayContext]]


def create_app(start: ContextFactory) -> FastAPI:
    """`start` builds the gateway's context (and its background tasks) for the app's lifetime."""
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
    for module in (health, commands, uploads, reads, events, feed, artifacts):
        app.include_router(module.router)
    app.include_router(keys_router)
    app.include_router(consumers_router)
    install_dashboard(app)
    app.add_middleware(RequestTiming, metrics=metrics)
    return app
