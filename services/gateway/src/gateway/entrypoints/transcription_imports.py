"""Importing a PAGE or ALTO file as a new version of a page's transcription.

The gateway checks the file is well-formed PAGE or ALTO, stores it byte for byte and
records the request; the exporter, which owns the readers, turns it into a `PageAnalysis`
and records `page.transcription_imported` (or why it could not).
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

import anyio
from fastapi import APIRouter, HTTPException, Query, Request, Response
from starlette.datastructures import UploadFile

from contracts import page_stream
from contracts.edit_checks import StorableText, storable
from contracts.errors import InvalidRequest, ResourceNotFound
from contracts.transcription import fold_transcription
from gateway.application.editions import request_transcription_import
from gateway.application.manuscript_imports import (
    import_manuscript_transcriptions,
    read_archive,
)
from gateway.domain.transcription_files import (
    MEDIA_TYPES,
    NotATranscription,
    NotWellFormed,
    sniff_transcription,
)
from gateway.entrypoints.commands import check_corpus
from gateway.entrypoints.edition_access import actor_of, editable_page, visible_page
from gateway.entrypoints.edition_schemas import (
    ImportOut,
    ManuscriptImportOut,
    PageImportOut,
    SkippedFileOut,
)
from gateway.entrypoints.problems import PROBLEM_RESPONSES
from gateway.entrypoints.reads import visible_manuscript
from gateway.entrypoints.security import Context, Reader, Writer

router = APIRouter(prefix="/v1", tags=["editions"], responses=PROBLEM_RESPONSES)
_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "a PAGE (2010–2019) or ALTO (v2–v4) file: as the body, or as the "
        "`file` field of a multipart form; its format is read from its root element",
        "content": {
            "application/xml": {"schema": {"type": "string", "format": "binary"}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }
            },
        },
    }
}


def _import_view(page_id: UUID, request_id: UUID, state: Any) -> ImportOut:
    return ImportOut(
        id=request_id,
        page_id=page_id,
        state=state.state,
        requested_version=state.version,
        version=state.imported_version,
        reason=state.reason,
        links={
            "self": f"/v1/pages/{page_id}/imports/{request_id}",
            "transcription": f"/v1/pages/{page_id}/transcription",
        },
    )


@router.post(
    "/pages/{page_id}/transcription",
    status_code=202,
    response_model=ImportOut,
    openapi_extra=_BODY,
    responses={
        409: PROBLEM_RESPONSES[404] | {"description": "the page changed after expected_version"},
        413: PROBLEM_RESPONSES[404] | {"description": "the file is over the size limit"},
        415: PROBLEM_RESPONSES[404] | {"description": "the file is neither PAGE nor ALTO"},
    },
)
async def post_transcription(
    page_id: UUID,
    request: Request,
    response: Response,
    context: Context,
    principal: Writer,
    expected_version: Annotated[int | None, Query(ge=0, le=(1 << 31) - 1)] = None,
    reason: Annotated[StorableText, Query(max_length=2000)] = "",
) -> ImportOut:
    """Record an existing transcription (Transkribus, eScriptorium, OCR-D…) as a version."""
    await editable_page(context, principal, page_id)
    data, filename = await _file_of(request, context.settings.transcription_max_bytes)
    try:
        source_format = sniff_transcription(data)
    except NotATranscription as error:
        raise HTTPException(415, str(error)) from None
    except NotWellFormed as error:
        raise InvalidRequest(str(error)) from None
    source = await anyio.to_thread.run_sync(context.artifacts.put, data, MEDIA_TYPES[source_format])
    recorded = await request_transcription_import(
        context.store,
        page_id,
        source=source,
        source_format=source_format,
        filename=filename,
        expected_version=expected_version,
        reason=reason,
        actor=actor_of(context, principal),
    )
    url = f"/v1/pages/{page_id}/imports/{recorded.event_id}"
    response.headers["Location"] = url
    return ImportOut(
        id=recorded.event_id,
        page_id=page_id,
        state="pending",
        requested_version=recorded.version,
        version=None,
        reason=None,
        links={"self": url, "transcription": f"/v1/pages/{page_id}/transcription"},
    )


_ZIP_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "a zip of PAGE or ALTO files, one per page (a Transkribus or "
        "eScriptorium export): as the body, or as the `file` field of a multipart form",
        "content": {
            "application/zip": {"schema": {"type": "string", "format": "binary"}},
            "multipart/form-data": _BODY["requestBody"]["content"]["multipart/form-data"],
        },
    }
}


@router.post(
    "/manuscripts/{manuscript_id}/transcriptions",
    status_code=202,
    response_model=ManuscriptImportOut,
    openapi_extra=_ZIP_BODY,
    responses={413: PROBLEM_RESPONSES[404] | {"description": "the archive is too large"}},
)
async def post_manuscript_transcriptions(
    manuscript_id: UUID,
    request: Request,
    context: Context,
    principal: Writer,
    reason: Annotated[StorableText, Query(max_length=2000)] = "",
) -> ManuscriptImportOut:
    """Import a whole manuscript's transcriptions: each file goes to the page whose image or
    label it names, or, for the rest, in order when as many pages are left."""
    manuscript = await visible_manuscript(context, principal, manuscript_id, fresh=True)
    check_corpus(principal, manuscript.corpus_id)
    data, _ = await _file_of(request, context.settings.upload_max_bytes)
    limit = context.settings.transcription_max_bytes
    files = await anyio.to_thread.run_sync(read_archive, data, limit)
    pages = [
        page_id for page_id, _ in await context.read_models.page_ids(manuscript_id=manuscript_id)
    ]
    result = await import_manuscript_transcriptions(
        context.store,
        context.artifacts,
        pages,
        files,
        actor=actor_of(context, principal),
        reason=reason,
    )
    return ManuscriptImportOut(
        manuscript_id=manuscript_id,
        imports=[
            PageImportOut(
                file=item.match.path,
                page_id=item.match.page_id,
                matched_by=item.match.matched_by,
                id=item.recorded.event_id,
                status_url=f"/v1/pages/{item.match.page_id}/imports/{item.recorded.event_id}",
            )
            for item in result.imported
        ],
        skipped=[SkippedFileOut(file=f, reason=r) for f, r in sorted(result.skipped.items())],
    )


@router.get("/pages/{page_id}/imports/{import_id}", response_model=ImportOut)
async def get_import(
    page_id: UUID, import_id: UUID, context: Context, principal: Reader
) -> ImportOut:
    """Whether an import is still pending, became a version, or failed (and why)."""
    await visible_page(context, principal, page_id)
    state = fold_transcription(await context.store.read_stream(page_stream(page_id)))
    found = state.imports.get(import_id)
    if found is None:
        raise ResourceNotFound(f"page {page_id} has no import {import_id}")
    return _import_view(page_id, import_id, found)


async def _file_of(request: Request, limit: int) -> tuple[bytes, str | None]:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise HTTPException(413, f"transcription files are limited to {limit} bytes")
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        async with request.form(max_files=1, max_fields=10) as form:
            upload = form.get("file")
            if not isinstance(upload, UploadFile):
                raise InvalidRequest("no file in the `file` field")
            data = await upload.read(limit + 1)
            filename = upload.filename
    else:
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise HTTPException(413, f"transcription files are limited to {limit} bytes")
            chunks.append(chunk)
        data, filename = b"".join(chunks), None
    if len(data) > limit:
        raise HTTPException(413, f"transcription files are limited to {limit} bytes")
    if filename is not None:
        try:
            storable(filename)
        except ValueError as error:
            raise InvalidRequest(f"the file name cannot be kept: {error}") from None
    return data, filename
