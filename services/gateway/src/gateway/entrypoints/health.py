"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from gateway.entrypoints.problems import MEDIA_TYPE, Problem, problem_response
from gateway.entrypoints.schemas import HealthOut
from gateway.entrypoints.security import Context

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=HealthOut)
async def healthz() -> HealthOut:
    return HealthOut(status="ok")


@router.get(
    "/readyz",
    response_model=HealthOut,
    responses={
        503: {
            "model": Problem,
            "description": "not ready: the problem names each dependency that is down",
            "content": {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
    },
)
async def readyz(request: Request, context: Context) -> JSONResponse:
    checks = await context.health.checks()
    details = {c.name: c.detail for c in checks}
    down = [c for c in checks if not c.ok]
    if not down:
        return JSONResponse(HealthOut(status="ready", checks=details).model_dump())
    return problem_response(
        request,
        503,
        "not ready: " + "; ".join(c.detail for c in down),
        headers={"Retry-After": str(context.settings.retry_after_seconds)},
        extra={"checks": details},
    )


@router.get("/metrics", response_class=Response, responses={200: {"content": {"text/plain": {}}}})
async def metrics(context: Context) -> Response:
    try:
        context.metrics.projection_lag.set(await context.health.projection_lag())
    except Exception:
        context.metrics.projection_lag.set(float("nan"))
    routing = await context.health.reads.routing()
    nan = float("nan")
    context.metrics.read_replica_in_use.set(1 if routing.source == "replica" else 0)
    context.metrics.read_replica_lag_events.set(
        nan if routing.lag_events is None else routing.lag_events
    )
    context.metrics.read_replica_lag_seconds.set(
        nan if routing.lag_seconds is None else routing.lag_seconds
    )
    return Response(generate_latest(context.metrics.registry), media_type=CONTENT_TYPE_LATEST)
