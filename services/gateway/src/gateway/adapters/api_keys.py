"""API keys: only their sha256 is stored; a key is shown once, when it is created."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from uuid import UUID

import asyncpg

from contracts.errors import InvalidRequest
from gateway.domain.auth import SCOPES, Principal

_INSERT = """
INSERT INTO gw_api_keys (key_hash, key_id, scopes, corpora, created_at)
VALUES ($1, $2, $3, $4, now())
"""
_FIND = "SELECT key_id, scopes, corpora FROM gw_api_keys WHERE key_hash = $1"


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


async def create_api_key(
    pool: asyncpg.Pool, scopes: Iterable[str], corpora: Iterable[UUID] | None = None
) -> str:
    """Create a key with these scopes, limited to `corpora` when given; returns the secret key."""
    scopes = sorted(set(scopes))
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown or not scopes:
        raise InvalidRequest(f"scopes must be among {SCOPES}, got {scopes}")
    key_id = secrets.token_hex(6)
    key = f"rk_{key_id}_{secrets.token_urlsafe(32)}"
    limited = sorted(set(corpora)) if corpora is not None else None
    await pool.execute(_INSERT, hash_key(key), key_id, scopes, limited)
    return key


class PostgresKeyStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def principal(self, key: str) -> Principal | None:
        record = await self.pool.fetchrow(_FIND, hash_key(key))
        if record is None:
            return None
        corpora = record["corpora"]
        return Principal(
            key_id=record["key_id"],
            scopes=frozenset(record["scopes"]),
            corpora=frozenset(corpora) if corpora is not None else None,
        )
