"""Running relays and consumer runtimes inside a test, on real NATS and PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence

import nats
from faststream.nats import NatsBroker

from infra.eventstore import PostgresEventStore
from infra.messaging.consumer import ConsumerRuntime, Subscription
from infra.messaging.relay import Relay
from infra.service import Build
from infra.settings import Settings
from infra.testing.patience import patient


@contextlib.asynccontextmanager
async def running_relay(
    store: PostgresEventStore, nats_url: str, prefix: str
) -> AsyncIterator[Relay]:
    client = await nats.connect(nats_url)
    stop = asyncio.Event()
    relay = Relay(store, client.jetstream(), prefix)
    task = asyncio.create_task(relay.run(stop))
    try:
        yield relay
    finally:
        stop.set()
        await task
        await client.close()


@contextlib.asynccontextmanager
async def running_consumers(
    store: PostgresEventStore, nats_url: str, prefix: str, subscriptions: Sequence[Subscription]
) -> AsyncIterator[ConsumerRuntime]:
    """One replica: a broker of its own with every subscription bound to its durable consumer."""
    broker = NatsBroker(nats_url, log_level=logging.DEBUG)
    runtime = ConsumerRuntime(broker, store, prefix)
    for subscription in subscriptions:
        runtime.subscribe(subscription)
    await broker.connect()
    await runtime.provision()
    await broker.start()
    try:
        yield runtime
    finally:
        await broker.stop()


async def eventually(
    condition: Callable[[], Awaitable[bool]], *, timeout: float = 30.0, every: float = 0.05
) -> None:
    """Until `condition` holds; TimeoutError after `timeout` seconds (× RECTO_TEST_PATIENCE)."""
    limit = patient(timeout)
    deadline = asyncio.get_running_loop().time() + limit
    while not await condition():
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"condition not met within {limit:g} s")
        await asyncio.sleep(every)


@contextlib.asynccontextmanager
async def running_services(
    settings: Settings, store: PostgresEventStore, builds: Sequence[Build]
) -> AsyncIterator[None]:
    """The relay and each service's subscriptions and background tasks, in this process."""
    assert settings.nats_url is not None
    stop = asyncio.Event()
    tasks: list[asyncio.Task[None]] = []
    async with contextlib.AsyncExitStack() as stack:
        await stack.enter_async_context(
            running_relay(store, settings.nats_url, settings.nats_prefix)
        )
        for build in builds:
            parts = await build(settings, store)
            for close in parts.closers:
                stack.push_async_callback(close)
            await stack.enter_async_context(
                running_consumers(
                    store, settings.nats_url, settings.nats_prefix, parts.subscriptions
                )
            )
            tasks += [asyncio.create_task(task(stop)) for task in parts.background]
        try:
            yield
        finally:
            stop.set()
            await asyncio.gather(*tasks)
