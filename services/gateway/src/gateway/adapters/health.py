"""Readiness checks: the database answers, NATS is connected, the read models are not far behind;
and, for information, where read-model queries go."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

import anyio

from gateway.adapters.nats_link import NatsLink
from gateway.adapters.outages import describe
from gateway.adapters.read_routing import ReadConnections
from infra.eventstore import PostgresEventStore


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


class HealthProbe:
    def __init__(
        self,
        store: PostgresEventStore,
        nats: NatsLink | None,
        projection: str,
        projection_types: Sequence[str],
        max_lag: int,
        timeout_seconds: float = 2.0,
        *,
        reads: ReadConnections,
    ) -> None:
        self.store, self.nats_link, self.timeout = store, nats, timeout_seconds
        self.projection, self.types, self.max_lag = projection, list(projection_types), max_lag
        self.reads = reads

    async def checks(self) -> list[Check]:
        """Every check, run together so a dead dependency costs one timeout, not several."""
        database, nats, reads = await asyncio.gather(
            self.database(), self.nats(), self.read_models()
        )
        lag = (
            await self.lag() if database.ok else Check("projection", False, "unknown: no database")
        )
        return [database, nats, lag, reads]

    async def read_models(self) -> Check:
        """Never failing: when the replica cannot serve, the primary does."""
        return Check("read_models", True, (await self.reads.routing()).detail)

    async def database(self) -> Check:
        try:
            with anyio.fail_after(self.timeout):
                await self.store.pool.fetchval("SELECT 1")
        except Exception as error:
            return Check("database", False, f"database unreachable: {describe(error)}")
        return Check("database", True, "database answers")

    async def nats(self) -> Check:
        if self.nats_link is None:
            return Check("nats", True, "NATS not configured")
        if not self.nats_link.connected:
            return Check("nats", False, f"NATS unreachable: {self.nats_link.problem}")
        problem = await self.nats_link.jetstream_answers()
        if problem:
            return Check("nats", False, f"NATS connected but JetStream does not answer: {problem}")
        return Check("nats", True, "NATS connected, JetStream answers")

    async def projection_lag(self) -> int:
        return await self.store.lag(self.projection, self.types, at_most=self.max_lag + 1)

    async def lag(self) -> Check:
        try:
            with anyio.fail_after(self.timeout):
                lag = await self.projection_lag()
        except Exception as error:
            return Check("projection", False, f"projection lag unknown: {type(error).__name__}")
        ok = lag <= self.max_lag
        return Check("projection", ok, f"projection lag {lag} events (bound {self.max_lag})")
