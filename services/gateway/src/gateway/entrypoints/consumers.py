"""`GET /v1/consumers`: each durable consumer's lag, the figure autoscaling acts on."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel

from gateway.application.consumer_lag import LagUnavailable
from gateway.entrypoints.problems import PROBLEM_RESPONSES
from gateway.entrypoints.security import Context, Reader

router = APIRouter(prefix="/v1", tags=["operations"], responses=PROBLEM_RESPONSES)


class ConsumerOut(BaseModel):
    name: str
    pending: int
    ack_pending: int
    redelivered: int
    waiting: int


class ConsumersOut(BaseModel):
    items: list[ConsumerOut]


@router.get(
    "/consumers",
    response_model=ConsumersOut,
    responses={503: {**PROBLEM_RESPONSES[401], "description": "NATS did not answer"}},
)
async def consumers(context: Context, principal: Reader) -> ConsumersOut:
    if context.consumers is None:
        raise HTTPException(503, "NATS is not configured: no consumer to report")
    try:
        found = await context.consumers.consumers()
    except LagUnavailable as error:
        raise HTTPException(503, str(error)) from None
    return ConsumersOut(items=[ConsumerOut(**vars(lag)) for lag in found])
