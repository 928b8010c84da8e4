"""API keys' lifecycle: what creating, changing and revoking a key decide, without any I/O."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Literal
from uuid import UUID

from contracts import (
    SCOPES,
    ApiKeyCreated,
    ApiKeyGrantsChanged,
    ApiKeyRevoked,
    Scope,
    check_key_name,
)
from contracts.errors import InvalidRequest, ResourceConflict

KeyStatus = Literal["active", "expired", "revoked"]
SECRET_PREFIX = "rk_"


@dataclass(frozen=True)
class Grants:
    """What a key may do: scopes, the corpora it is limited to (None: all), until when."""

    scopes: tuple[Scope, ...]
    corpora: tuple[UUID, ...] | None
    expires_at: datetime | None

    @classmethod
    def of(
        cls, scopes: list[Scope], corpora: list[UUID] | None, expires_at: datetime | None
    ) -> Grants:
        """Scopes in their order of power and corpora sorted, each once: equal grants compare
        equal, and events list them the same way."""
        unknown = sorted(set(scopes) - set(SCOPES))
        if unknown or not scopes:
            raise InvalidRequest(
                f"a key needs at least one scope among {', '.join(SCOPES)}",
                problems=[f"unknown scope {scope!r}" for scope in unknown],
            )
        return cls(
            scopes=tuple(s for s in SCOPES if s in scopes),
            corpora=tuple(sorted(set(corpora))) if corpora is not None else None,
            expires_at=expires_at,
        )

    def check(self, now: datetime) -> None:
        if self.expires_at is not None and self.expires_at <= now:
            raise InvalidRequest(
                "expires_at must lie in the future",
                problems=[
                    f"expires_at {self.expires_at.isoformat()} is not after {now.isoformat()}"
                ],
            )


class Unchanged(Enum):
    UNCHANGED = "unchanged"


UNCHANGED = Unchanged.UNCHANGED


@dataclass(frozen=True)
class GrantChanges:
    """What a PATCH names; what it leaves out stays as it is (`corpora=None` means all)."""

    scopes: list[Scope] | Unchanged = UNCHANGED
    corpora: list[UUID] | Unchanged | None = UNCHANGED
    expires_at: datetime | Unchanged | None = UNCHANGED

    def applied_to(self, grants: Grants) -> Grants:
        return Grants.of(
            list(grants.scopes) if self.scopes is UNCHANGED else self.scopes,
            _unless_unchanged(self.corpora, grants.corpora),
            grants.expires_at if self.expires_at is UNCHANGED else self.expires_at,
        )

    @property
    def named_corpora(self) -> list[UUID]:
        return [] if self.corpora is UNCHANGED or self.corpora is None else self.corpora


def _unless_unchanged(
    corpora: list[UUID] | Unchanged | None, current: tuple[UUID, ...] | None
) -> list[UUID] | None:
    if corpora is UNCHANGED:
        return list(current) if current is not None else None
    return corpora


@dataclass(frozen=True)
class KeyRecord:
    """One key as the key table holds it (never its secret)."""

    key_id: str
    name: str
    grants: Grants
    created_at: datetime
    created_by: str | None
    revoked_at: datetime | None
    last_used_at: datetime | None
    version: int

    def status(self, now: datetime) -> KeyStatus:
        if self.revoked_at is not None:
            return "revoked"
        if self.grants.expires_at is not None and self.grants.expires_at <= now:
            return "expired"
        return "active"


@dataclass(frozen=True)
class NewSecret:
    key_id: str
    secret: str
    """Shown once, to whoever created the key; only `key_hash` is kept."""

    @property
    def key_hash(self) -> str:
        return hash_secret(self.secret)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret() -> NewSecret:
    """256 random bits, prefixed with the key's id so that a leaked secret says whose it is."""
    key_id = secrets.token_hex(6)
    return NewSecret(key_id, f"{SECRET_PREFIX}{key_id}_{secrets.token_urlsafe(32)}")


def create(name: str, grants: Grants, secret: NewSecret, now: datetime) -> ApiKeyCreated:
    try:
        check_key_name(name)
    except ValueError as error:
        raise InvalidRequest(str(error), problems=[f"name: {error}"]) from None
    grants.check(now)
    return ApiKeyCreated(
        key_id=secret.key_id,
        name=name,
        scopes=list(grants.scopes),
        corpora=list(grants.corpora) if grants.corpora is not None else None,
        expires_at=grants.expires_at,
        key_hash=secret.key_hash,
    )


def change_grants(key: KeyRecord, grants: Grants, now: datetime) -> ApiKeyGrantsChanged | None:
    """The event that gives the key these grants; None when it already has them."""
    if key.revoked_at is not None:
        raise ResourceConflict(f"key {key.key_id} was revoked: its grants can no longer change")
    if grants.expires_at != key.grants.expires_at:
        grants.check(now)
    if grants == key.grants:
        return None
    return ApiKeyGrantsChanged(
        key_id=key.key_id,
        scopes=list(grants.scopes),
        corpora=list(grants.corpora) if grants.corpora is not None else None,
        expires_at=grants.expires_at,
    )


def revoke(key: KeyRecord, reason: str | None) -> ApiKeyRevoked | None:
    """None when the key is already revoked: revoking twice records nothing more."""
    if key.revoked_at is not None:
        return None
    return ApiKeyRevoked(key_id=key.key_id, reason=reason)
