"""Editing a page: corrections, editorial status and adopted candidates.

Every change names the version it was made against; a stale one is a 409 problem whose
`current_version` member says what to read again. Exports follow in the exporter.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Depends, Response

from contracts.edit_checks import EditLimits
from gateway.application.editions import Recorded, adopt_candidate, change_status, correct_page
from gateway.entrypoints.edition_access import Utf8JsonRoute, actor_of, editable_page
from gateway.entrypoints.edition_schemas import AdoptionIn, CorrectionIn, RecordedOut, StatusIn
from gateway.entrypoints.problems import PROBLEM_RESPONSES
from gateway.entrypoints.security import Context, Writer
from gateway.entrypoints.text_guard import no_nul_characters

router = APIRouter(
    prefix="/v1",
    tags=["editions"],
    responses=PROBLEM_RESPONSES,
    dependencies=[Depends(no_nul_characters)],
    route_class=Utf8JsonRoute,
)
CONFLICT: dict[int | str, dict[str, Any]] = {
    409: PROBLEM_RESPONSES[404]
    | {
        "description": "the page changed after `expected_version` (the problem's "
        "`current_version` member names the version to read again), or the change does not "
        "fit the page's state"
    }
}


def recorded_view(page_id: UUID, recorded: Recorded, response: Response) -> RecordedOut:
    base = f"/v1/pages/{page_id}"
    response.headers["Location"] = f"{base}/transcription"
    return RecordedOut(
        page_id=page_id,
        event_id=recorded.event_id,
        type=recorded.type,
        version=recorded.version,
        position=recorded.position,
        analysis=recorded.analysis,
        links={
            "transcription": f"{base}/transcription",
            "versions": f"{base}/versions",
            "history": f"{base}/history",
        },
    )


@router.post(
    "/pages/{page_id}/corrections", status_code=201, response_model=RecordedOut, responses=CONFLICT
)
async def post_correction(
    page_id: UUID, body: CorrectionIn, response: Response, context: Context, principal: Writer
) -> RecordedOut:
    """Apply operations to the current transcription and record them as `page.corrected`."""
    await editable_page(context, principal, page_id)
    settings = context.settings
    recorded = await correct_page(
        context.store,
        context.artifacts,
        page_id,
        expected_version=body.expected_version,
        reason=body.reason,
        operations=body.operations,
        actor=actor_of(context, principal),
        limits=EditLimits(settings.edit_max_line_chars, settings.edit_max_polygon_points),
    )
    return recorded_view(page_id, recorded, response)


@router.post(
    "/pages/{page_id}/status", status_code=201, response_model=RecordedOut, responses=CONFLICT
)
async def post_status(
    page_id: UUID, body: StatusIn, response: Response, context: Context, principal: Writer
) -> RecordedOut:
    """Move the page's editorial status one allowed step (see `EditorialStatus`)."""
    await editable_page(context, principal, page_id)
    recorded = await change_status(
        context.store,
        page_id,
        expected_version=body.expected_version,
        status=body.status,
        reason=body.reason,
        actor=actor_of(context, principal),
    )
    return recorded_view(page_id, recorded, response)


@router.post(
    "/pages/{page_id}/candidates/{candidate_id}/adopt",
    status_code=201,
    response_model=RecordedOut,
    responses=CONFLICT,
)
async def post_adoption(
    page_id: UUID,
    candidate_id: int,
    body: AdoptionIn,
    response: Response,
    context: Context,
    principal: Writer,
) -> RecordedOut:
    """Make a candidate, or some of its lines, the current transcription."""
    await editable_page(context, principal, page_id)
    recorded = await adopt_candidate(
        context.store,
        context.artifacts,
        page_id,
        candidate_id,
        expected_version=body.expected_version,
        lines=body.lines,
        reason=body.reason,
        actor=actor_of(context, principal),
    )
    return recorded_view(page_id, recorded, response)
