"""Checkpoints: how far each tailing consumer (relay, projections) has got in the log."""

from __future__ import annotations

import asyncpg

_LOAD = "SELECT position FROM checkpoints WHERE consumer = $1"
_SAVE = """
INSERT INTO checkpoints (consumer, position, updated_at) VALUES ($1, $2, now())
ON CONFLICT (consumer) DO UPDATE SET position = excluded.position, updated_at = now()
"""


async def load_checkpoint(connection: asyncpg.Connection | asyncpg.Pool, consumer: str) -> int:
    position = await connection.fetchval(_LOAD, consumer)
    return int(position) if position is not None else 0


async def save_checkpoint(
    connection: asyncpg.Connection | asyncpg.Pool, consumer: str, position: int
) -> None:
    await connection.execute(_SAVE, consumer, position)
