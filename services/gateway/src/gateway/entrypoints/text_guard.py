"""Refuse NUL characters in command bodies: PostgreSQL's jsonb cannot store them (422, not 500)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request

from contracts.errors import InvalidRequest


def contains_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(contains_nul(k) or contains_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(contains_nul(v) for v in value)
    return False


async def no_nul_characters(request: Request) -> None:
    if not request.headers.get("content-type", "").startswith("application/json"):
        return
    body = await request.body()  # cached: FastAPI parses the same bytes afterwards
    try:
        parsed = json.loads(body) if body else None
    except ValueError:
        return  # FastAPI answers the malformed body itself
    if contains_nul(parsed):
        raise InvalidRequest("text fields may not contain NUL characters")
