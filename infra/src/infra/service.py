"""Running one service process: its subscriptions and background tasks until told to stop."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any

from faststream.nats import NatsBroker

from infra.eventstore import PostgresEventStore
from infra.eventstore.migrate import upgrade_async
from infra.health import beat
from infra.messaging.consumer import ConsumerRuntime, Subscription
from infra.settings import Settings

log = logging.getLogger(__name__)

BackgroundTask = Callable[[asyncio.Event], Coroutine[Any, Any, None]]


@dataclass
class ServiceParts:
    """What a service's composition root hands to the process runner."""

    subscriptions: Sequence[Subscription] = ()
    background: Sequence[BackgroundTask] = ()
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)


Build = Callable[[Settings, PostgresEventStore], Awaitable[ServiceParts]]


def stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    return stop


async def run_service(name: str, settings: Settings, build: Build, stop: asyncio.Event) -> None:
    if not settings.database_url or not settings.nats_url:
        raise SystemExit("RECTO_DATABASE_URL and RECTO_NATS_URL must be set")
    await upgrade_async(settings.database_url)
    store = await PostgresEventStore.connect(settings.database_url)
    parts = await build(settings, store)
    broker = NatsBroker(settings.nats_url, log_level=logging.DEBUG)
    runtime = ConsumerRuntime(broker, store, settings.nats_prefix)
    for subscription in parts.subscriptions:
        runtime.subscribe(subscription)
    try:
        await broker.connect()
        await runtime.provision()
        await broker.start()
        log.info(
            "service started", extra={"subscriptions": [s.consumer for s in parts.subscriptions]}
        )
        tasks = [asyncio.create_task(task(stop)) for task in parts.background]
        tasks.append(asyncio.create_task(beat(settings.state_dir / "health" / name, stop)))
        await stop.wait()
        await asyncio.gather(*tasks)
    finally:
        await broker.stop()
        for close in parts.closers:
            await close()
        await store.close()
        log.info("service stopped", extra={"service": name})
