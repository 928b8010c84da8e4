"""Who is calling and what they may do: scopes `read` < `write` < `admin`, maybe some corpora."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from contracts import SCOPES

__all__ = ["ANONYMOUS_ADMIN", "BOOTSTRAP_ACTOR", "SCOPES", "Principal", "StoredKey"]

_IMPLIED = {"admin": {"admin", "write", "read"}, "write": {"write", "read"}, "read": {"read"}}
BOOTSTRAP_ACTOR = "bootstrap"
"""The actor of keys made straight in the database, before any admin key exists."""


@dataclass(frozen=True)
class Principal:
    key_id: str
    scopes: frozenset[str]
    corpora: frozenset[UUID] | None = None
    """None: every corpus."""
    name: str = ""
    expires_at: datetime | None = None

    def has_scope(self, scope: str) -> bool:
        return any(scope in _IMPLIED.get(held, set()) for held in self.scopes)

    def may_see(self, corpus_id: UUID | None) -> bool:
        return self.corpora is None or (corpus_id is not None and corpus_id in self.corpora)

    @property
    def may_manage_keys(self) -> bool:
        """Only an admin of every corpus: a limited one could grant what it does not hold."""
        return self.has_scope("admin") and self.corpora is None

    @property
    def actor(self) -> str:
        """What events record as their `actor`: `name/key_id` (a key id has no slash)."""
        return f"{self.name}/{self.key_id}" if self.name else self.key_id


ANONYMOUS_ADMIN = Principal(key_id="auth-off", scopes=frozenset({"admin"}), name="anonymous")


@dataclass(frozen=True)
class StoredKey:
    """A key as the key table holds it, found by the hash of the secret a caller showed."""

    principal: Principal
    revoked: bool
    expired: bool
    expires_at: datetime | None

    def refusal(self) -> str | None:
        """Why the key no longer opens anything, or None while it does."""
        if self.revoked:
            return "this API key was revoked"
        if self.expired:
            assert self.expires_at is not None
            return f"this API key expired at {self.expires_at.isoformat()}"
        return None
