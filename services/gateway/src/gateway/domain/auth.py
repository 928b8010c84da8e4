"""Who is calling and what they may do: scopes `read` < `write` < `admin`, maybe some corpora."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

SCOPES = ("read", "write", "admin")
_IMPLIED = {"admin": {"admin", "write", "read"}, "write": {"write", "read"}, "read": {"read"}}


@dataclass(frozen=True)
class Principal:
    key_id: str
    scopes: frozenset[str]
    corpora: frozenset[UUID] | None = None
    """None: every corpus."""

    def has_scope(self, scope: str) -> bool:
        return any(scope in _IMPLIED.get(held, set()) for held in self.scopes)

    def may_see(self, corpus_id: UUID | None) -> bool:
        return self.corpora is None or (corpus_id is not None and corpus_id in self.corpora)


ANONYMOUS_ADMIN = Principal(key_id="auth-off", scopes=frozenset({"admin"}))
