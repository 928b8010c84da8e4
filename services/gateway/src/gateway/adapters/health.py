"""Readiness checks: the database answers, NATS answers, the read models are not far behind."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from infra.eventstore import PostgresEventStore
from infra.natsurls import nats_server_list

_LAG = """
SELECT count(*) FROM (
    SELECT 1 FROM events
    WHERE position > coalesce((SELECT position FROM checkpoints WHERE consumer = $1), 0)
      AND type = ANY($2::text[])
    LIMIT $3
) AS pending
"""


@dataclass(frozen=True)
class Check:
    ok: bool
    detail: str


class HealthProbe:
    def __init__(
        self,
        store: PostgresEventStore,
        nats_url: str | None,
        projection: str,
        projection_types: Sequence[str],
        max_lag: int,
    ) -> None:
        self.store, self.nats_url = store, nats_url
        self.projection, self.types, self.max_lag = projection, list(projection_types), max_lag

    async def database(self) -> Check:
        try:
            await asyncio.wait_for(self.store.pool.fetchval("SELECT 1"), 2.0)
        except Exception as error:
            return Check(False, f"database: {type(error).__name__}: {error}")
        return Check(True, "database answers")

    async def nats(self) -> Check:
        if not self.nats_url:
            return Check(True, "NATS not configured")
        # A cluster answers while any of its servers does: clients fail over among them.
        failures = []
        for server in nats_server_list(self.nats_url):
            parts = urlsplit(server)
            try:
                reader, writer = await asyncio.wait_for(
                    asyncio.open_connection(parts.hostname or "127.0.0.1", parts.port or 4222), 2.0
                )
                greeting = await asyncio.wait_for(reader.readline(), 2.0)
                writer.close()
                await writer.wait_closed()
            except (OSError, TimeoutError) as error:
                failures.append(f"{type(error).__name__}: {error}")
                continue
            if greeting.startswith(b"INFO"):
                return Check(True, "NATS answers")
            failures.append("unexpected greeting")
        return Check(False, f"NATS: {'; '.join(failures)}")

    async def projection_lag(self) -> int:
        return int(
            await self.store.pool.fetchval(_LAG, self.projection, self.types, self.max_lag + 1)
        )

    async def lag(self) -> Check:
        try:
            lag = await self.projection_lag()
        except Exception as error:
            return Check(False, f"projection lag unknown: {type(error).__name__}")
        return Check(lag <= self.max_lag, f"projection lag {lag} events (bound {self.max_lag})")
