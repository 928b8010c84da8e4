"""Artifact endpoints: images, analyses and exports, streamed with an ETag (their sha256), or
a redirect to a presigned URL of the object store (`RECTO_ARTIFACT_DELIVERY=redirect`)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, Literal
from uuid import UUID

import anyio
from fastapi import APIRouter, HTTPException, Path, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse

from contracts import ArtifactRef
from contracts.transcription import fold_transcription
from gateway.application.page_history import (
    manuscript_export_as_of,
    page_as_of,
    page_export_as_of,
)
from gateway.domain.as_of import AsOf, describe
from gateway.domain.auth import Principal
from gateway.entrypoints.as_of import AsOfParam
from gateway.entrypoints.context import GatewayContext
from gateway.entrypoints.problems import PROBLEM_RESPONSES
from gateway.entrypoints.reads import visible_manuscript, visible_page
from gateway.entrypoints.security import Context, Reader
from infra.artifacts import iterate_artifact

router = APIRouter(prefix="/v1", tags=["artifacts"], responses=PROBLEM_RESPONSES)
_BINARY: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/octet-stream": {}}, "description": "the artifact"},
    307: {"description": "fetch it from this presigned URL (redirect delivery)"},
    304: {"description": "unchanged (If-None-Match)"},
}
_MANUSCRIPT_FORMATS = {
    "iiif-manifest": "iiif-manifest",
    "mets": "mets",
    "bundle.zip": "bundle",
    "searchable.pdf": "pdf",
}


async def serve(
    context: GatewayContext, request: Request, ref: dict[str, Any] | None, what: str
) -> Response:
    if not ref:
        raise HTTPException(404, f"{what} is not available yet")
    artifact = ArtifactRef(sha256=ref["sha256"], media_type=ref["media_type"], bytes=ref["bytes"])
    etag = f'"{artifact.sha256}"'
    headers = {"ETag": etag, "Cache-Control": "private, max-age=31536000, immutable"}
    wanted = [t.strip() for t in request.headers.get("if-none-match", "").split(",")]
    if etag in wanted or "*" in wanted:
        return Response(status_code=304, headers=headers)
    # Off the event loop: for an object store this is a network round trip.
    if not await anyio.to_thread.run_sync(context.artifacts.exists, artifact):
        raise HTTPException(404, f"{what} is recorded but its artifact is missing")
    if context.settings.artifact_delivery == "redirect":
        expires = timedelta(seconds=context.settings.artifact_url_seconds)
        url = await anyio.to_thread.run_sync(context.artifacts.signed_url, artifact, expires)
        if url is not None:
            # The bytes never change, but the URL expires: the redirect itself is not cached.
            return RedirectResponse(url, 307, {"ETag": etag, "Cache-Control": "no-store"})
    headers["Content-Length"] = str(artifact.bytes)
    return StreamingResponse(
        iterate_artifact(context.artifacts, artifact),
        media_type=artifact.media_type,
        headers=headers,
    )


@router.get("/pages/{page_id}/image/{variant}", responses=_BINARY, response_class=Response)
async def page_image(
    page_id: UUID,
    variant: Literal["master", "derivative", "thumbnail"],
    request: Request,
    context: Context,
    principal: Reader,
) -> Response:
    page = await visible_page(context, principal, page_id)
    return await serve(context, request, page.images.get(variant), f"the {variant} image")


def _json(ref: ArtifactRef | None) -> dict[str, Any] | None:
    return ref.model_dump(mode="json") if ref else None


@router.get("/pages/{page_id}/analysis", responses=_BINARY, response_class=Response)
async def page_analysis(
    page_id: UUID, request: Request, context: Context, principal: Reader, as_of: AsOfParam = None
) -> Response:
    """The current transcription as a `PageAnalysis` (corrections included), or `as_of`."""
    await visible_page(context, principal, page_id)
    state = fold_transcription(await page_as_of(context.store, page_id, as_of))
    when = f" at {describe(as_of)}" if as_of is not None else ""
    return await serve(context, request, _json(state.current), f"the analysis{when}")


@router.get("/pages/{page_id}/{export}", responses=_BINARY, response_class=Response)
async def page_export(
    page_id: UUID,
    export: Literal["alto", "page", "text", "annotations", "word-annotations", "hocr"],
    request: Request,
    context: Context,
    principal: Reader,
    as_of: AsOfParam = None,
) -> Response:
    return await _page_file(context, request, principal, page_id, export, as_of)


@router.get("/pages/{page_id}/{export}/{stage}", responses=_BINARY, response_class=Response)
async def page_stage_export(
    page_id: UUID,
    export: Literal["text", "annotations"],
    stage: Annotated[str, Path(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=200)],
    request: Request,
    context: Context,
    principal: Reader,
    as_of: AsOfParam = None,
) -> Response:
    """A further stage's output (a translation, a commentary…) as a file of its own, by the
    stage's name as the page's links give it."""
    return await _page_file(context, request, principal, page_id, f"{export}/{stage}", as_of)


async def _page_file(
    context: GatewayContext,
    request: Request,
    principal: Principal,
    page_id: UUID,
    name: str,
    as_of: AsOf | None,
) -> Response:
    page = await visible_page(context, principal, page_id)
    if as_of is None:
        return await serve(context, request, page.formats.get(name), f"the {name} export")
    exported = await page_export_as_of(context.store, page_id, as_of)
    ref = exported.formats.get(name) if exported else None
    return await serve(context, request, _json(ref), f"the {name} export at {describe(as_of)}")


@router.get("/manuscripts/{manuscript_id}/{export}", responses=_BINARY, response_class=Response)
async def manuscript_export(
    manuscript_id: UUID,
    export: Literal["iiif-manifest", "mets", "bundle.zip", "searchable.pdf"],
    request: Request,
    context: Context,
    principal: Reader,
    as_of: AsOfParam = None,
) -> Response:
    manuscript = await visible_manuscript(context, principal, manuscript_id)
    name = _MANUSCRIPT_FORMATS[export]
    if as_of is None:
        return await serve(context, request, manuscript.formats.get(name), f"the {export} export")
    exported = await manuscript_export_as_of(context.store, manuscript_id, as_of)
    ref = exported.formats.get(name) if exported else None
    return await serve(context, request, _json(ref), f"the {export} export at {describe(as_of)}")
