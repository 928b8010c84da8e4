"""RFC 9457 problem details for every error the API answers, FastAPI's own included.

A database that cannot be reached is a 503 with `Retry-After`, not a 500: the request was
fine and the same request will succeed once PostgreSQL is back (the pool reconnects by itself).
"""

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
from gateway.adapters.outages import DATABASE_OUTAGE_ERRORS, database_unreachable, describe
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
    408: "request-timeout",
    409: "conflict",
    413: "too-large",
    415: "unsupported-media-type",
    422: "invalid-request",
    429: "rate-limited",
    431: "headers-too-large",
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


def problem(
    status: int,
    detail: str | None,
    instance: str | None,
    *,
    errors: list[Any] | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The problem document; `extra` adds extension members (RFC 9457 section 3.2)."""
    body = Problem(
        type=PROBLEM_BASE + _SLUGS.get(status, f"http-{status}"),
        title=HTTPStatus(status).phrase,
        status=status,
        detail=detail,
        instance=instance,
        errors=errors,
    ).model_dump(exclude_none=True)
    return {**(extra or {}), **body}


def problem_response(
    request: Request,
    status: int,
    detail: str | None,
    *,
    errors: list[Any] | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> JSONResponse:
    return JSONResponse(
        problem(status, detail, str(request.url.path), errors=errors, extra=extra),
        status_code=status,
        media_type=MEDIA_TYPE,
        headers=headers,
    )


def install_problem_handlers(app: FastAPI, *, retry_after_seconds: int = 5) -> None:
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
        extra = getattr(error, "extensions", None)
        return problem_response(request, status, str(error), errors=errors, extra=extra)

    async def unexpected(request: Request, error: Exception) -> JSONResponse:
        if database_unreachable(error):
            log.warning("database unreachable on %s: %s", request.url.path, describe(error))
            return problem_response(
                request,
                503,
                "the database is unavailable; retry later",
                headers={"Retry-After": str(retry_after_seconds)},
            )
        log.error("unhandled error on %s", request.url.path, exc_info=error)
        return problem_response(request, 500, "an unexpected error occurred")

    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(RectoError, recto_error)
    # Answered by the exception middleware, so an outage is not re-raised as a server error.
    for kind in DATABASE_OUTAGE_ERRORS:
        app.add_exception_handler(kind, unexpected)
    app.add_exception_handler(Exception, unexpected)


def _documented(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {
        status: {
            "model": Problem,
            "description": HTTPStatus(status).phrase,
            "content": {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }


PROBLEM_RESPONSES = _documented(401, 403, 404, 422, 429, 503)
BODY_PROBLEMS = _documented(408, 413)  # where a request carries a body
