"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from gateway.entrypoints.schemas import HealthOut
from gateway.entrypoints.security import Context

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=HealthOut)
async def healthz() -> HealthOut:
    return HealthOut(status="ok")


@router.get(
    "/readyz",
    response_model=HealthOut,
    responses={503: {"model": HealthOut, "description": "not ready"}},
)
async def readyz(context: Context) -> JSONResponse:
    checks = [await context.health.database(), await context.health.nats()]
    if checks[0].ok:
        checks.append(await context.health.lag())
    ready = all(c.ok for c in checks)
    body = HealthOut(
        status="ready" if ready else "not ready",
        checks={c.detail.split(":")[0].split(" ")[0].lower(): c.detail for c in checks},
    )
    return JSONResponse(body.model_dump(), status_code=200 if ready else 503)


@router.get("/metrics", response_class=Response, responses={200: {"content": {"text/plain": {}}}})
async def metrics(context: Context) -> Response:
    try:
        context.metrics.projection_lag.set(await context.health.projection_lag())
    except Exception:
        context.metrics.projection_lag.set(float("nan"))
    return Response(generate_latest(context.metrics.registry), media_type=CONTENT_TYPE_LATEST)
