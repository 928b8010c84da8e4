"""The event log, globally or per stream, and a page's full history."""

from __future__ import annotations

import json
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, HTTPException, Query

from contracts import api_key_stream, page_stream
from gateway.domain.feed import ADMIN_ONLY_PREFIX
from gateway.entrypoints.problems import PROBLEM_RESPONSES
from gateway.entrypoints.reads import visible_page
from gateway.entrypoints.schemas import EventOut, EventsOut
from gateway.entrypoints.security import Context, Reader
from infra.eventstore import RawEvent

router = APIRouter(prefix="/v1", tags=["events"], responses=PROBLEM_RESPONSES)
MAX_POSITION = (1 << 63) - 1


def event_view(raw: RawEvent) -> EventOut:
    return EventOut.model_validate(json.loads(raw.to_wire_json()))


@router.get("/events", response_model=EventsOut)
async def list_events(
    context: Context,
    principal: Reader,
    after: Annotated[int, Query(ge=0, le=MAX_POSITION)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    stream: Annotated[str | None, Query(max_length=200)] = None,
    types: Annotated[str, Query(max_length=2000, description="comma-separated")] = "",
) -> EventsOut:
    if principal.corpora is not None:
        raise HTTPException(403, "the global log needs a key not limited to corpora")
    wanted = [t for t in types.split(",") if t]
    admin = principal.has_scope("admin")
    if stream:
        if not admin and stream.startswith(api_key_stream("")):
            raise HTTPException(403, "the events of API keys are shown to admin keys only")
        recorded = await context.store.read_stream(stream)
        events = [
            EventOut.model_validate(e.to_wire())
            for e in recorded
            if e.position > after and (not wanted or e.type in wanted)
        ][:limit]
        return EventsOut(events=events, next_after=events[-1].position if events else after)
    raws = await context.store.read_all_raw(after=after, limit=limit, types=wanted)
    # Past the events left out too, or a page of only those would never be left behind.
    return EventsOut(
        events=[
            event_view(raw) for raw in raws if admin or not raw.type.startswith(ADMIN_ONLY_PREFIX)
        ],
        next_after=raws[-1].position if raws else after,
    )


@router.get("/pages/{page_id}/history", response_model=EventsOut)
async def page_history(page_id: UUID, context: Context, principal: Reader) -> EventsOut:
    await visible_page(context, principal, page_id)
    recorded = await context.store.read_stream(page_stream(page_id))
    events = [EventOut.model_validate(e.to_wire()) for e in recorded]
    return EventsOut(events=events, next_after=events[-1].position if events else 0)
