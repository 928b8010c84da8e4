"""Uploads: multipart images and PDFs streamed into the artifact store, then imported like any
source (a PDF is read by ingest, in the background: one page per PDF page)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any
from uuid import UUID

import anyio
from fastapi import APIRouter, HTTPException, Request, Response
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from contracts import ArtifactRef, Plan, RequestImport, UploadedImage, UploadSource
from gateway.application.imports import request_import
from gateway.domain.pdf_tripwire import PdfTripwire
from gateway.domain.sniff import HEAD_BYTES, sniff_image
from gateway.entrypoints.commands import check_corpus
from gateway.entrypoints.problems import BODY_PROBLEMS, PROBLEM_RESPONSES
from gateway.entrypoints.schemas import Accepted
from gateway.entrypoints.security import Context, Writer
from gateway.entrypoints.text_guard import contains_nul
from infra.artifacts import CHUNK, ArtifactStore

router = APIRouter(prefix="/v1", tags=["commands"], responses=PROBLEM_RESPONSES | BODY_PROBLEMS)

_MULTIPART: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["files"],
                    "properties": {
                        "files": {"type": "array", "items": {"type": "string", "format": "binary"}},
                        "labels": {"type": "array", "items": {"type": "string"}},
                        "label": {"type": "string"},
                        "plan": {
                            "type": "string",
                            "contentMediaType": "application/json",
                            "description": "the job's plan as JSON, as in an import's body; "
                            "without one (or without a profile) the corpus's profile is used",
                        },
                    },
                }
            }
        },
    }
}


@router.post(
    "/corpora/{corpus_id}/uploads",
    status_code=202,
    response_model=Accepted,
    openapi_extra=_MULTIPART,
    responses={
        413: PROBLEM_RESPONSES[404] | {"description": "upload over the size limit"},
        415: PROBLEM_RESPONSES[404] | {"description": "a file is neither an image nor a PDF"},
        422: PROBLEM_RESPONSES[404] | {"description": "a PDF Recto cannot read (encrypted)"},
    },
)
async def post_upload(
    corpus_id: UUID, request: Request, response: Response, context: Context, principal: Writer
) -> Accepted:
    check_corpus(principal, corpus_id)
    limit = context.settings.upload_max_bytes
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise HTTPException(413, f"uploads are limited to {limit} bytes")
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise HTTPException(415, "send the images as multipart/form-data")
    async with request.form(max_files=1000, max_fields=1000) as form:
        uploads = [f for f in form.getlist("files") if isinstance(f, UploadFile)]
        labels = [str(v) for v in form.getlist("labels")]
        label = form.get("label")
        plan = _plan(form.get("plan"))
        if not uploads:
            raise HTTPException(422, "no file in the `files` field")
        if contains_nul([*labels, str(label or ""), *(f.filename or "" for f in uploads)]):
            raise HTTPException(422, "labels and file names may not contain NUL characters")
        files = await _store_all(context.artifacts, uploads, labels, limit)
    source = UploadSource(files=files, label=str(label) if isinstance(label, str) else None)
    result = await request_import(
        context.store,
        RequestImport(corpus_id=corpus_id, source=source),
        plan,
        context.plan_validator,
        actor=principal.actor,
        addresses=context.addresses,
    )
    url = f"/v1/jobs/{result.job_id}"
    response.headers["Location"] = url
    return Accepted(
        id=result.job_id,
        status_url=url,
        job_id=result.job_id,
        manuscript_id=result.manuscript_id,
    )


def _plan(field: object) -> Plan:
    """The `plan` field, read as an import's `plan` is; the default plan without one."""
    if field is None or field == "":
        return Plan()
    if not isinstance(field, str):
        raise HTTPException(422, "`plan` is a JSON text field, not a file")
    try:
        return Plan.model_validate_json(field)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'plan'}: {e['msg']}" for e in error.errors()
        )
        raise HTTPException(422, f"`plan` is not a valid plan: {problems}") from None


async def _store_all(
    artifacts: ArtifactStore, uploads: list[UploadFile], labels: list[str], limit: int
) -> list[UploadedImage]:
    files, total = [], 0
    for position, upload in enumerate(uploads):
        head = await upload.read(HEAD_BYTES)
        media_type = sniff_image(head)
        if media_type is None:
            raise HTTPException(
                415, f"{upload.filename or 'a file'} is not a supported image or PDF"
            )
        await upload.seek(0)
        chunks = _chunks(upload.file, limit - total)
        tripwire = PdfTripwire() if media_type == "application/pdf" else None
        if tripwire is not None:
            chunks = map(tripwire.feed, chunks)
        ref = await anyio.to_thread.run_sync(artifacts.put_stream, chunks, media_type)
        if tripwire is not None and tripwire.encrypted:
            name = upload.filename or "a file"
            raise HTTPException(422, f"{name} is an encrypted PDF: Recto reads no encrypted PDF")
        total += ref.bytes
        files.append(
            UploadedImage(
                artifact=ArtifactRef(sha256=ref.sha256, media_type=media_type, bytes=ref.bytes),
                filename=upload.filename or f"upload-{position}",
                label=labels[position] if position < len(labels) else None,
            )
        )
    return files


def _chunks(file: IO[bytes], budget: int) -> Iterator[bytes]:
    """The file's bytes, refusing (413) past `budget` — for bodies sent without a length."""
    while chunk := file.read(CHUNK):
        budget -= len(chunk)
        if budget < 0:
            raise HTTPException(413, "uploads are over the size limit")
        yield chunk
