"""Run the relay as a process: `python -m infra.messaging.relay_process` (settings from env)."""

from __future__ import annotations

import asyncio

import nats

from infra.database import DatabaseAccess
from infra.eventstore import PostgresEventStore
from infra.eventstore.migrate import upgrade_async
from infra.eventstore.notifications import WakeupSettings
from infra.health import Check, Probe, process_heartbeat, replica_id
from infra.messaging.backoff import Backoff
from infra.messaging.connection import (
    ConnectionClosedForGood,
    close_connection,
    nats_options,
    until_stopped_or_closed,
)
from infra.messaging.readiness import database_probe, nats_probe
from infra.messaging.relay import Relay
from infra.metrics import RelayMetrics, exposed, process_registry, sample_relay_lag
from infra.natsurls import nats_servers
from infra.settings import Settings
from infra.signals import stop_on_signals

RELAY_POOL_SIZE = 3
"""Reads, checkpoints and the JetStream resume check; its lock is on a session connection."""


def relay_probe(relay: Relay) -> Probe:
    """Ready while active or standing by; recovering means something it needs is failing."""

    async def probe() -> Check:
        if relay.role == "recovering":
            return Check(False, f"recovering ({relay.last_error})")
        return Check(True, relay.role)

    return probe


async def run_relay(settings: Settings, stop: asyncio.Event) -> None:
    settings.required_nats_url()  # exits, naming the setting, before anything starts
    await upgrade_async(settings.direct_database_url())
    store = await PostgresEventStore.open(
        DatabaseAccess.of(settings, max_size=RELAY_POOL_SIZE), WakeupSettings.of(settings)
    )
    closed = asyncio.Event()

    async def on_closed() -> None:
        closed.set()

    options = nats_options(settings, on_closed)
    client = await nats.connect(nats_servers(settings), name="relay", **options)
    registry = process_registry("relay", replica_id(settings.replica))
    metrics = RelayMetrics(registry)
    relay = Relay(
        store,
        client.jetstream(),
        settings.nats_prefix,
        publish_timeout=settings.publish_timeout_seconds,
        recovery=Backoff(settings.outage_backoff_seconds, settings.outage_backoff_max_seconds),
        metrics=metrics,
    )
    probes = {
        "nats": nats_probe(client),
        "database": database_probe(lambda: store.ping(settings.probe_timeout_seconds)),
        "relay": relay_probe(relay),
    }

    async def sample() -> None:
        await sample_relay_lag(store, relay.name, metrics)

    try:
        async with exposed(settings, registry, stop, sample) as served:
            tasks = [
                asyncio.create_task(relay.run(stop)),
                asyncio.create_task(process_heartbeat("relay", settings, stop, probes, served)),
            ]
            connection_lost = await until_stopped_or_closed(stop, closed, client)
            stop.set()
            await asyncio.gather(*tasks)
        if connection_lost:
            raise ConnectionClosedForGood("relay: the NATS connection closed for good")
    finally:
        await close_connection(client)
        await store.close()


async def main() -> None:
    await run_relay(Settings(), stop_on_signals())


if __name__ == "__main__":
    asyncio.run(main())
