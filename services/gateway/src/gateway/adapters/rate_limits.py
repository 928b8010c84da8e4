"""Rate limits per API key that hold across replicas: one counter row per key and window in
PostgreSQL, counted with one upsert a request, on the database's clock."""

from __future__ import annotations

import asyncpg

from gateway.domain.rate_limit import FixedWindow

_COUNT = """
INSERT INTO gw_rate_windows AS w (key_id, window_start, requests)
VALUES ($1, to_timestamp(floor(extract(epoch FROM now()) / $2) * $2), 1)
ON CONFLICT (key_id, window_start) DO UPDATE SET requests = w.requests + 1
RETURNING w.requests, extract(epoch FROM w.window_start - now())::float8 + $2
"""
_FORGET = "DELETE FROM gw_rate_windows WHERE window_start < now() - make_interval(secs => $1)"


class PostgresRateLimiter:
    def __init__(self, pool: asyncpg.Pool, window: FixedWindow) -> None:
        self.pool, self.window = pool, window

    async def take(self, key_id: str) -> int:
        """Count one request of this key: 0 when it may pass, else seconds to wait."""
        counted, seconds_left = await self.pool.fetchrow(_COUNT, key_id, float(self.window.seconds))
        return self.window.wait(counted, seconds_left)

    async def forget_old_windows(self) -> None:
        await self.pool.execute(_FORGET, float(self.window.seconds))
