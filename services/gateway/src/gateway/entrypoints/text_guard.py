"""Refuse text PostgreSQL cannot store, or no endpoint means to receive, before it reaches SQL.

NUL cannot go into PostgreSQL text or jsonb at all, and a lone surrogate (`"\\ud800"` in JSON)
cannot be encoded to UTF-8: either would fail deep in the database driver as a 500. Control
characters have no use in a path, a query parameter or a header value; the HTTP parser
already refuses most of them in headers, the guard refuses what it lets through.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl

from fastapi import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from contracts.errors import InvalidRequest
from gateway.entrypoints.problems import problem_response

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_HEADER_CONTROL = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")  # a tab is allowed in a header


def unstorable(value: Any) -> str | None:
    """Why `value` (decoded JSON) cannot be stored, or None when every string in it can."""
    if isinstance(value, str):
        if "\x00" in value:
            return "NUL characters"
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return "lone surrogates (a \\ud800-\\udfff escape without its pair)"
        return None
    if isinstance(value, dict):
        value = [*value.keys(), *value.values()]
    if isinstance(value, list):
        return next((reason for v in value if (reason := unstorable(v))), None)
    return None


def contains_nul(value: Any) -> bool:
    return unstorable(value) is not None


async def no_nul_characters(request: Request) -> None:
    if not request.headers.get("content-type", "").startswith("application/json"):
        return
    body = await request.body()  # cached: FastAPI parses the same bytes afterwards
    try:
        parsed = json.loads(body) if body else None
    except ValueError:
        return  # FastAPI answers the malformed body itself
    reason = unstorable(parsed)
    if reason:
        raise InvalidRequest(f"text fields may not contain {reason}")


def control_characters(scope: Scope) -> list[dict[str, Any]]:
    """Where the path, the query or a header carries a control character, as problem errors."""
    found: list[tuple[list[str], str]] = []
    if _CONTROL.search(scope["path"]):
        found.append((["path"], scope["path"]))
    query = scope.get("query_string", b"").decode("latin-1")
    for name, value in parse_qsl(query, keep_blank_values=True):
        if _CONTROL.search(name) or _CONTROL.search(value):
            found.append((["query", name], value))
    for name, value in scope.get("headers", []):
        if _HEADER_CONTROL.search(value):
            found.append((["header", name.decode("latin-1")], value.decode("latin-1")))
    return [
        {
            "loc": loc,
            "msg": f"control character {_first_control(text)} is not allowed",
            "type": "control_character",
        }
        for loc, text in found
    ]


def _first_control(text: str) -> str:
    match = _CONTROL.search(text)
    return f"U+{ord(match.group()):04X}" if match else "(none)"


class ControlCharacterGuard:
    """422 for control characters in the path or a query parameter, 400 in a header."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        errors = control_characters(scope) if scope["type"] == "http" else []
        if not errors:
            await self.app(scope, receive, send)
            return
        in_header = any(e["loc"][0] == "header" for e in errors)
        status, what = (400, "a header") if in_header else (422, "the path or a query parameter")
        detail = f"{what} contains control characters (NUL, line breaks, escapes…)"
        await problem_response(Request(scope), status, detail, errors=errors)(scope, receive, send)
