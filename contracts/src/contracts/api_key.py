"""The API key aggregate: who may call the gateway, with which scopes, on which corpora.

A key's secret is shown once and never recorded; `api_key.created` carries the sha256 of it
(a high-entropy random secret cannot be recovered from its hash), so the gateway's key table
is a fold of the log like every other read model.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AfterValidator, Field

from contracts.base import Event

Scope = Literal["read", "write", "admin"]
SCOPES: tuple[Scope, ...] = ("read", "write", "admin")
KEY_NAME_MAX = 100
# Control, format (bidi overrides, zero-width), surrogate, private-use and unassigned code
# points, and line or paragraph separators: none belongs in a name shown in logs and tables.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def check_key_name(name: str) -> str:
    """The name, if it is one a key may have; else ValueError saying why."""
    if not 1 <= len(name) <= KEY_NAME_MAX:
        raise ValueError(f"a key name has 1 to {KEY_NAME_MAX} characters, not {len(name)}")
    for index, character in enumerate(name):
        if unicodedata.category(character) in _REFUSED_CATEGORIES:
            raise ValueError(
                f"a key name may not contain control or invisible characters"
                f" (U+{ord(character):04X} at position {index})"
            )
    if name != name.strip():
        raise ValueError("a key name may not begin or end with white space")
    return name


KeyName = Annotated[
    str,
    Field(min_length=1, max_length=KEY_NAME_MAX, description="the person or service it is for"),
    AfterValidator(check_key_name),
]
KeyHash = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$", description="sha256 of the secret")]
KeyId = Annotated[str, Field(pattern=r"^[0-9a-z-]{1,40}$")]


class ApiKeyCreated(Event):
    type = "api_key.created"

    key_id: KeyId
    name: KeyName
    scopes: list[Scope] = Field(min_length=1)
    corpora: list[UUID] | None = Field(description="None: every corpus")
    expires_at: datetime | None = None
    key_hash: KeyHash


class ApiKeyGrantsChanged(Event):
    """The key's grants as they are from now on (not a difference)."""

    type = "api_key.grants_changed"

    key_id: KeyId
    scopes: list[Scope] = Field(min_length=1)
    corpora: list[UUID] | None = Field(description="None: every corpus")
    expires_at: datetime | None = None


class ApiKeyRevoked(Event):
    type = "api_key.revoked"

    key_id: KeyId
    reason: str | None = Field(default=None, max_length=500)
