"""Run the relay as a process: `python -m infra.messaging.relay_process` (settings from env)."""

from __future__ import annotations

import asyncio
import signal

import nats

from infra.eventstore import PostgresEventStore
from infra.messaging.relay import Relay
from infra.settings import Settings


async def run_relay(settings: Settings, stop: asyncio.Event) -> None:
    if not settings.database_url or not settings.nats_url:
        raise SystemExit("RECTO_DATABASE_URL and RECTO_NATS_URL must be set")
    store = await PostgresEventStore.connect(settings.database_url, max_size=3)
    client = await nats.connect(settings.nats_url)
    try:
        await Relay(store, client.jetstream(), settings.nats_prefix).run(stop)
    finally:
        await client.drain()
        await store.close()


async def main() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await run_relay(Settings(), stop)


if __name__ == "__main__":
    asyncio.run(main())
