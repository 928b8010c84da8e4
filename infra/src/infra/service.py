"""Running one service process: its subscriptions and background tasks until told to stop."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any

import nats.errors
from faststream.nats import NatsBroker
from nats.aio.client import Client

from infra.database import DatabaseAccess
from infra.eventstore import PostgresEventStore
from infra.eventstore.migrate import upgrade_async
from infra.eventstore.notifications import WakeupSettings
from infra.health import process_heartbeat, replica_id
from infra.messaging.connection import (
    ConnectionClosedForGood,
    close_connection,
    nats_options,
    until_stopped_or_closed,
)
from infra.messaging.consumer import ConsumerRuntime, Subscription
from infra.messaging.outages import DatabaseOutages
from infra.messaging.readiness import database_probe, nats_probe
from infra.metrics import ConsumerMetrics, exposed, process_registry
from infra.natsurls import nats_servers
from infra.settings import Settings

log = logging.getLogger(__name__)

SERVICE_POOL_SIZE = 10
"""Connections a consumer service's pool may open unless RECTO_DATABASE_POOL_MAX says."""

BackgroundTask = Callable[[asyncio.Event], Coroutine[Any, Any, None]]


@dataclass
class ServiceParts:
    """What a service's composition root hands to the process runner."""

    subscriptions: Sequence[Subscription] = ()
    background: Sequence[BackgroundTask] = ()
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)


Build = Callable[[Settings, PostgresEventStore], Awaitable[ServiceParts]]


def database_outages(settings: Settings, store: PostgresEventStore) -> DatabaseOutages:
    return DatabaseOutages(
        lambda: store.ping(settings.probe_timeout_seconds),
        shortest=settings.outage_backoff_seconds,
        longest=settings.outage_backoff_max_seconds,
    )


async def _stop(broker: NatsBroker, client: Client | None) -> None:
    """Stop the subscribers and let go of the connection, even one NATS is not answering."""
    try:
        await broker.stop()
    except nats.errors.Error:  # draining needs a live connection
        if client is not None:
            await close_connection(client)


async def run_service(name: str, settings: Settings, build: Build, stop: asyncio.Event) -> None:
    settings.required_nats_url()  # exits, naming the setting, before anything starts
    await upgrade_async(settings.direct_database_url())
    store = await PostgresEventStore.open(
        DatabaseAccess.of(settings, max_size=SERVICE_POOL_SIZE), WakeupSettings.of(settings)
    )
    parts = await build(settings, store)
    closed = asyncio.Event()

    async def on_closed() -> None:
        closed.set()

    broker = NatsBroker(
        nats_servers(settings), log_level=logging.DEBUG, **nats_options(settings, on_closed)
    )
    registry = process_registry(name, replica_id(settings.replica))
    runtime = ConsumerRuntime(
        broker,
        store,
        settings.nats_prefix,
        outages=database_outages(settings, store),
        pull_wait=settings.pull_wait_seconds,
        metrics=ConsumerMetrics(registry),
    )
    for subscription in parts.subscriptions:
        runtime.subscribe(subscription)
    client: Client | None = None
    try:
        client = await broker.connect()
        await runtime.provision()
        await broker.start()
        log.info(
            "service started", extra={"subscriptions": [s.consumer for s in parts.subscriptions]}
        )
        probes = {
            "nats": nats_probe(client),
            "database": database_probe(lambda: store.ping(settings.probe_timeout_seconds)),
        }
        async with exposed(settings, registry, stop, runtime.sample_lag) as served:
            tasks = [asyncio.create_task(task(stop)) for task in parts.background]
            beat = process_heartbeat(name, settings, stop, probes, served)
            tasks.append(asyncio.create_task(beat))
            connection_lost = await until_stopped_or_closed(stop, closed, client)
            stop.set()  # the process ends either way: background tasks and the heartbeat stop
            await asyncio.gather(*tasks)
        if connection_lost:
            raise ConnectionClosedForGood(f"{name}: the NATS connection closed for good")
    finally:
        await _stop(broker, client)
        for close in parts.closers:
            await close()
        await store.close()
        log.info("service stopped", extra={"service": name})
