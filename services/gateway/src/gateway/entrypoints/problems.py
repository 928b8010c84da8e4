"""RFC 9457 problem details for every error the API answers, FastAPI's own included."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException

from contracts.errors import (
    InvalidRequest,
    RectoError,
    RequestTooLarge,
    ResourceConflict,
    ResourceNotFound,
)
from infra.artifacts import ArtifactNotFound

log = logging.getLogger(__name__)
PROBLEM_BASE = "https://recto.dev/problems/"
MEDIA_TYPE = "application/problem+json"

_SLUGS = {
    400: "bad-request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    406: "not-acceptable",
    409: "conflict",
    413: "too-large",
    415: "unsupported-media-type",
    422: "invalid-request",
    429: "rate-limited",
    500: "internal-error",
    503: "unavailable",
}
_STATUS_OF_ERROR: dict[type[RectoError], int] = {
    ResourceNotFound: 404,
    ArtifactNotFound: 404,
    ResourceConflict: 409,
    InvalidRequest: 422,
    RequestTooLarge: 413,
}


class Problem(BaseModel):
    """RFC 9457; some problems add extension members, e.g. `current_version` on a conflict."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[Any] | None = None


def problem_response(
    request: Request,
    status: int,
    detail: str | None,
    *,
    errors: list[Any] | None = None,
    headers: dict[str, str] | None = None,
    extensions: dict[str, Any] | None = None,
) -> JSONResponse:
    problem = Problem(
        type=PROBLEM_BASE + _SLUGS.get(status, f"http-{status}"),
        title=HTTPStatus(status).phrase,
        status=status,
        detail=detail,
        instance=str(request.url.path),
        errors=errors,
        **(extensions or {}),
    )
    return JSONResponse(
        problem.model_dump(exclude_none=True),
        status_code=status,
        media_type=MEDIA_TYPE,
        headers=headers,
    )


def install_problem_handlers(app: FastAPI) -> None:
    async def http_error(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, StarletteHTTPException)
        return problem_response(
            request, error.status_code, str(error.detail), headers=getattr(error, "headers", None)
        )

    async def validation_error(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, RequestValidationError)
        errors = [
            {"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": e.get("type")}
            for e in error.errors()
        ]
        return problem_response(request, 422, "the request does not fit its schema", errors=errors)

    async def recto_error(request: Request, error: Exception) -> JSONResponse:
        status = next((s for cls, s in _STATUS_OF_ERROR.items() if isinstance(error, cls)), 500)
        errors = list(getattr(error, "problems", []) or []) or None
        if status == 500:
            log.error("unexpected %s", type(error).__name__, exc_info=error)
            return problem_response(request, 500, "an unexpected error occurred")
        extensions = getattr(error, "extensions", None)
        return problem_response(request, status, str(error), errors=errors, extensions=extensions)

    async def unexpected(request: Request, error: Exception) -> JSONResponse:
        log.error("unhandled error on %s", request.url.path, exc_info=error)
        return problem_response(request, 500, "an unexpected error occurred")

    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(RectoError, recto_error)
    app.add_exception_handler(Exception, unexpected)


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {
        "model": Problem,
        "description": HTTPStatus(status).phrase,
        "content": {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
    for status in (401, 403, 404, 422, 429)
}
