"""Run the relay as a process: `python -m infra.messaging.relay_process` (settings from env)."""

from __future__ import annotations

import asyncio

import nats

from infra.eventstore import PostgresEventStore
from infra.eventstore.migrate import upgrade_async
from infra.eventstore.notifications import WakeupSettings
from infra.health import Check, Probe, process_heartbeat
from infra.messaging.backoff import Backoff
from infra.messaging.connection import (
    ConnectionClosedForGood,
    close_connection,
    nats_options,
    until_stopped_or_closed,
)
from infra.messaging.readiness import database_probe, nats_probe
from infra.messaging.relay import Relay
from infra.natsurls import nats_servers
from infra.settings import Settings
from infra.signals import stop_on_signals


def relay_probe(relay: Relay) -> Probe:
    """Ready while active or standing by; recovering means something it needs is failing."""

    async def probe() -> Check:
        if relay.role == "recovering":
            return Check(False, f"recovering ({relay.last_error})")
        return Check(True, relay.role)

    return probe


async def run_relay(settings: Settings, stop: asyncio.Event) -> None:
    database_url, _ = settings.required_database_url(), settings.required_nats_url()
    await upgrade_async(database_url)
    store = await PostgresEventStore.connect(
        database_url, max_size=3, wakeups=WakeupSettings.of(settings)
    )
    closed = asyncio.Event()

    async def on_closed() -> None:
        closed.set()

    options = nats_options(settings, on_closed)
    client = await nats.connect(nats_servers(settings), name="relay", **options)
    relay = Relay(
        store,
        client.jetstream(),
        settings.nats_prefix,
        publish_timeout=settings.publish_timeout_seconds,
        recovery=Backoff(settings.outage_backoff_seconds, settings.outage_backoff_max_seconds),
    )
    probes = {
        "nats": nats_probe(client),
        "database": database_probe(lambda: store.ping(settings.probe_timeout_seconds)),
        "relay": relay_probe(relay),
    }
    try:
        tasks = [
            asyncio.create_task(relay.run(stop)),
            asyncio.create_task(process_heartbeat("relay", settings, stop, probes)),
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
