"""The VLM response cache: same image, prompt, model and parameters → same answer, no call.

Keys hash everything that can change an answer, so a new prompt or model never reads a
stale entry. `InMemoryVlmCache` is the twin of `PostgresVlmCache` for tests and one-off runs.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine


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


metadata = sa.MetaData()

vlm_cache_table = sa.Table(
    "vlm_cache",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("model", sa.Text, nullable=False),
    sa.Column("response", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now()),
)


class PostgresVlmCache:
    """Shared by every analyzer replica; a lost race on insert keeps the first answer."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def create_table(self) -> None:
        async with self.engine.begin() as connection:
            await connection.run_sync(metadata.create_all, tables=[vlm_cache_table])

    async def get(self, key: str) -> str | None:
        query = sa.select(vlm_cache_table.c.response).where(vlm_cache_table.c.key == key)
        async with self.engine.connect() as connection:
            return (await connection.execute(query)).scalar_one_or_none()

    async def put(self, key: str, response: str, model: str) -> None:
        statement = (
            insert(vlm_cache_table)
            .values(key=key, model=model, response=response)
            .on_conflict_do_nothing(index_elements=[vlm_cache_table.c.key])
        )
        async with self.engine.begin() as connection:
            await connection.execute(statement)
