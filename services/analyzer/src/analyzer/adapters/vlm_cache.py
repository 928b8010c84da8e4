"""The VLM response cache: same image, prompt, model and parameters → same answer, no call.

Keys hash everything that can change an answer, so a new prompt or model never reads a
stale entry. `InMemoryVlmCache` is the twin of `PostgresVlmCache` for tests and one-off runs.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any, Protocol

import asyncpg

from infra.locks import AdvisoryLock


def cache_key(image_sha256: str, prompt: str, model: str, parameters: Mapping[str, Any]) -> str:
    material = json.dumps(
        {"image": image_sha256, "prompt": prompt, "model": model, "parameters": parameters},
        sort_keys=True,
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


class VlmCache(Protocol):
    async def get(self, key: str) -> str | None: ...
    async def put(self, key: str, response: str, model: str) -> None: ...


class InMemoryVlmCache:
    def __init__(self) -> None:
        self.entries: dict[str, str] = {}

    async def get(self, key: str) -> str | None:
        return self.entries.get(key)

    async def put(self, key: str, response: str, model: str) -> None:
        self.entries.setdefault(key, response)


_CREATE = """
CREATE TABLE IF NOT EXISTS vlm_cache (
    key varchar(64) PRIMARY KEY,
    model text NOT NULL,
    response text NOT NULL,
    created_at timestamptz DEFAULT now()
)"""
_GET = "SELECT response FROM vlm_cache WHERE key = $1"
_PUT = "INSERT INTO vlm_cache (key, model, response) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING"


class PostgresVlmCache:
    """Shared by every analyzer replica; a lost race on insert keeps the first answer.

    Plain asyncpg on the service's pool: three statements do not need SQLAlchemy, whose import
    alone would cost each analyzer's start more than half a second of CPU.
    """

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def create_table(self) -> None:
        # Replicas start together, and `IF NOT EXISTS` does not make two creations safe.
        async with self.pool.acquire() as connection, connection.transaction():
            await connection.execute(
                "SELECT pg_advisory_xact_lock($1)", AdvisoryLock.VLM_CACHE_TABLE.value
            )
            await connection.execute(_CREATE)

    async def get(self, key: str) -> str | None:
        response: str | None = await self.pool.fetchval(_GET, key)
        return response

    async def put(self, key: str, response: str, model: str) -> None:
        await self.pool.execute(_PUT, key, model, response)
