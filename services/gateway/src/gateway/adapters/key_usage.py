"""When each API key was last used, without a write per request: uses are gathered in memory
and written every few seconds in one statement (by each replica, the latest use winning)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import asyncpg

log = logging.getLogger(__name__)

_FLUSH = """
UPDATE gw_api_keys AS k SET last_used_at = greatest(k.last_used_at, u.used_at)
FROM unnest($1::text[], $2::timestamptz[]) AS u(key_id, used_at)
WHERE k.key_id = u.key_id
"""


class KeyUsageRecorder:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self.pending: dict[str, datetime] = {}

    def used(self, key_id: str) -> None:
        self.pending[key_id] = datetime.now(UTC)

    async def flush(self) -> int:
        """Write the uses gathered so far; returns how many keys were written."""
        if not self.pending:
            return 0
        batch, self.pending = self.pending, {}
        try:
            await self.pool.execute(_FLUSH, list(batch), list(batch.values()))
        except BaseException:
            # Keep what could not be written for the next flush (newer uses win).
            self.pending = batch | self.pending
            raise
        return len(batch)
