"""Reading a page's editions: its transcription (now or `as_of`), versions, diffs, candidates."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query

from contracts.transcription import Candidate, fold_transcription
from gateway.application.editions import load_analysis
from gateway.application.page_history import (
    PageDiff,
    candidates,
    diff_versions,
    page_as_of,
    versions,
)
from gateway.domain.as_of import describe
from gateway.entrypoints.as_of import AsOfParam
from gateway.entrypoints.edition_schemas import (
    CandidateOut,
    CandidatesOut,
    CandidateSummary,
    DiffOut,
    LineChangeOut,
    TranscriptionOut,
    VersionDiffOut,
    VersionOut,
    VersionsOut,
)
from gateway.entrypoints.problems import PROBLEM_RESPONSES
from gateway.entrypoints.reads import visible_page
from gateway.entrypoints.security import Context, Reader

router = APIRouter(prefix="/v1", tags=["editions"], responses=PROBLEM_RESPONSES)
Version = Annotated[int, Query(ge=1, le=(1 << 31) - 1)]


def _summary(candidate: Candidate) -> CandidateSummary:
    return CandidateSummary(
        id=candidate.version,
        engine=candidate.engine,
        recorded_at=candidate.recorded_at,
        analysis=candidate.analysis,
    )


def _diff_view(diff: PageDiff) -> DiffOut:
    lines = [
        LineChangeOut.model_validate(line, from_attributes=True)
        for line in diff.lines
        if line.change != "unchanged"
    ]
    return DiffOut(cer=diff.cer, wer=diff.wer, unchanged=diff.unchanged, lines=lines)


@router.get("/pages/{page_id}/transcription", response_model=TranscriptionOut)
async def get_transcription(
    page_id: UUID, context: Context, principal: Reader, as_of: AsOfParam = None
) -> TranscriptionOut:
    """The current transcription with its version and status; `as_of` for an earlier one."""
    await visible_page(context, principal, page_id)
    state = fold_transcription(await page_as_of(context.store, page_id, as_of))
    analysis = await load_analysis(context.artifacts, state.current) if state.current else None
    base = f"/v1/pages/{page_id}"
    return TranscriptionOut(
        page_id=page_id,
        version=state.stream_version,
        position=state.position,
        as_of=describe(as_of) if as_of is not None else None,
        text_version=state.text_version,
        status=state.status,
        status_version=state.status_version,
        analysis_ref=state.current,
        analysis=analysis,
        candidates=[_summary(c) for c in state.candidates.values()],
        links={
            "corrections": f"{base}/corrections",
            "status": f"{base}/status",
            "versions": f"{base}/versions",
            "candidates": f"{base}/candidates",
            "alto": f"{base}/alto",
        },
    )


@router.get("/pages/{page_id}/versions", response_model=VersionsOut)
async def get_versions(
    page_id: UUID, context: Context, principal: Reader, as_of: AsOfParam = None
) -> VersionsOut:
    """Every version of the text and status, oldest first, with its CER against the text
    before it."""
    await visible_page(context, principal, page_id)
    state, listed = await versions(context.store, context.artifacts, page_id, as_of)
    return VersionsOut(
        page_id=page_id,
        version=state.stream_version,
        items=[
            VersionOut(
                version=v.step.version,
                position=v.step.position,
                recorded_at=v.step.recorded_at,
                actor=v.step.actor,
                type=v.step.type,
                became=v.step.became,
                summary=v.step.summary,
                status=v.step.status,
                analysis=v.step.analysis,
                cer=v.cer,
            )
            for v in listed
        ],
    )


@router.get("/pages/{page_id}/diff", response_model=VersionDiffOut)
async def get_diff(
    page_id: UUID,
    context: Context,
    principal: Reader,
    from_version: Annotated[int, Query(alias="from", ge=1, le=(1 << 31) - 1)],
    to_version: Annotated[int, Query(alias="to", ge=1, le=(1 << 31) - 1)],
) -> VersionDiffOut:
    """Line by line, from the transcription current at one stream version to another's."""
    await visible_page(context, principal, page_id)
    diff = await diff_versions(context.store, context.artifacts, page_id, from_version, to_version)
    return VersionDiffOut(
        page_id=page_id,
        from_version=from_version,
        to_version=to_version,
        **_diff_view(diff).model_dump(),
    )


@router.get("/pages/{page_id}/candidates", response_model=CandidatesOut)
async def get_candidates(page_id: UUID, context: Context, principal: Reader) -> CandidatesOut:
    """Machine results recorded after a human took over the page, newest first."""
    await visible_page(context, principal, page_id)
    state, offered = await candidates(context.store, context.artifacts, page_id)
    return CandidatesOut(
        page_id=page_id,
        version=state.stream_version,
        items=[
            CandidateOut(
                **_summary(candidate).model_dump(),
                position=candidate.position,
                diff=_diff_view(diff),
            )
            for candidate, diff in offered
        ],
    )
