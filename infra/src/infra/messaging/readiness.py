"""Cheap probes for health files: is the NATS connection up, does the database answer."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from nats.aio.client import Client

from infra.health import Check, Probe


def nats_probe(client: Client) -> Probe:
    async def probe() -> Check:
        if client.is_connected:
            return Check(True, "connected")
        if client.is_closed:
            return Check(False, "closed")
        if client.is_reconnecting:
            attempts = max((s.reconnects for s in client.server_pool), default=0)
            return Check(False, f"reconnecting ({attempts} attempts)")
        return Check(False, "not connected")

    return probe


def database_probe(ping: Callable[[], Awaitable[object]]) -> Probe:
    """`ping` raises unless the database answers (e.g. `PostgresEventStore.ping`)."""

    async def probe() -> Check:
        try:
            await ping()
        except Exception as error:
            return Check(False, f"{type(error).__name__}: {str(error) or 'no answer in time'}")
        return Check(True, "ok")

    return probe
