"""The gateway's composition root: adapters from settings, background tasks, the FastAPI app."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from fastapi import FastAPI

from gateway.adapters.api_keys import PostgresKeyStore
from gateway.adapters.feed_hub import FeedHub
from gateway.adapters.health import HealthProbe
from gateway.adapters.jetstream_consumers import JetStreamConsumers
from gateway.adapters.migrate import upgrade_async
from gateway.adapters.nats_link import NatsLink
from gateway.adapters.outages import database_unreachable, describe
from gateway.adapters.projection import ReadModelProjection
from gateway.adapters.queries import ReadModels
from gateway.adapters.read_routing import (
    PrimaryReads,
    ReadConnections,
    ReplicaReads,
    StalenessBound,
    open_replica_pool,
)
from gateway.adapters.search_index import PostgresSearchIndex
from gateway.adapters.search_projection import SearchProjection
from gateway.adapters.stall_sweeper import StallSweeper
from gateway.application.completion import complete_finished_jobs
from gateway.application.ports import PlanValidator, accept_any_plan
from gateway.application.sweeper import SweepSettings
from gateway.entrypoints.app import create_app
from gateway.entrypoints.context import GatewayContext
from gateway.entrypoints.metrics import GatewayMetrics
from gateway.settings import GatewaySettings
from infra.addresses import AddressPolicy
from infra.artifact_stores import artifact_store
from infra.database import DatabaseAccess
from infra.eventstore import PostgresEventStore
from infra.eventstore.migrate import upgrade_async as upgrade_event_store
from infra.eventstore.notifications import WakeupSettings
from infra.projections import ProjectionRunner
from infra.settings import Settings
from infra.wakeups import Wakeup

log = logging.getLogger("gateway")

GATEWAY_POOL_SIZE = 20
"""Connections the gateway's pool may open unless RECTO_DATABASE_POOL_MAX says."""


def create_gateway_app(
    settings: Settings | None = None,
    gateway_settings: GatewaySettings | None = None,
    plan_validator: PlanValidator = accept_any_plan,
) -> FastAPI:
    """The app to serve; `plan_validator` is the analyzer's, injected by the caller."""
    shared = settings or Settings()
    own = gateway_settings or GatewaySettings()

    def start(metrics: GatewayMetrics) -> contextlib.AbstractAsyncContextManager[GatewayContext]:
        return running_gateway(shared, own, plan_validator, metrics)

    return create_app(start, own)


@contextlib.asynccontextmanager
async def running_gateway(
    settings: Settings,
    gateway_settings: GatewaySettings,
    plan_validator: PlanValidator,
    metrics: GatewayMetrics,
) -> AsyncIterator[GatewayContext]:
    """Migrate, connect, start the projection, the feed tailer, the completion watcher and
    the stall sweeper."""
    if gateway_settings.auth == "off":
        log.warning("RECTO_AUTH=off: the API accepts every request as admin (embedded demo only)")
    await upgrade_event_store(settings.direct_database_url())
    await upgrade_async(settings.direct_database_url())
    store = await PostgresEventStore.open(
        DatabaseAccess.of(settings, max_size=GATEWAY_POOL_SIZE), WakeupSettings.of(settings)
    )
    nats = (
        NatsLink(
            settings.nats_url,
            reconnect_seconds=gateway_settings.nats_reconnect_seconds,
            timeout_seconds=gateway_settings.ready_timeout_seconds,
        )
        if settings.nats_url
        else None
    )
    projection = ReadModelProjection()
    read_models = ReadModels(store.pool)
    reads = await _reads(store, projection, gateway_settings, metrics)
    artifacts = artifact_store(settings)
    context = GatewayContext(
        settings=gateway_settings,
        store=store,
        read_models=read_models,
        reads=ReadModels(reads),
        keys=PostgresKeyStore(store.pool),
        artifacts=artifacts,
        hub=FeedHub(
            store,
            queue_events=gateway_settings.feed_queue_events,
            poll_seconds=gateway_settings.feed_poll_seconds,
        ),
        health=HealthProbe(
            store,
            nats,
            projection.name,
            projection.event_types,
            gateway_settings.ready_max_lag_events,
            gateway_settings.ready_timeout_seconds,
            reads=reads,
        ),
        plan_validator=plan_validator,
        metrics=metrics,
        addresses=AddressPolicy.from_allow_list(settings.fetch_allow),
        search=PostgresSearchIndex(store.pool, rank_window=gateway_settings.search_rank_window),
        consumers=JetStreamConsumers(settings) if settings.nats_url else None,
    )
    sweeper = StallSweeper(
        store.sessions,
        store,
        read_models,
        SweepSettings(
            stall_seconds=gateway_settings.sweeper_stall_seconds,
            max_attempts=gateway_settings.sweeper_max_attempts,
            batch_size=gateway_settings.sweeper_batch_size,
        ),
        tick_seconds=gateway_settings.sweeper_tick_seconds,
    )
    stop = asyncio.Event()
    read_model_runner = ProjectionRunner(store, projection)
    tasks = [
        asyncio.create_task(read_model_runner.run(stop)),
        asyncio.create_task(ProjectionRunner(store, SearchProjection(artifacts)).run(stop)),
        asyncio.create_task(context.hub.run(stop)),
        asyncio.create_task(
            _watch_completions(
                context,
                stop,
                read_model_runner.applied.subscribe(),
                gateway_settings.completion_poll_seconds,
            )
        ),
        asyncio.create_task(sweeper.run(stop)),
        asyncio.create_task(_keep_key_usage(context, stop)),
        *([asyncio.create_task(nats.run(stop))] if nats else []),
    ]
    try:
        yield context
    finally:
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        if isinstance(context.consumers, JetStreamConsumers):
            await context.consumers.close()
        if isinstance(reads, ReplicaReads):
            await reads.close()
        await store.close()


async def _reads(
    store: PostgresEventStore,
    projection: ReadModelProjection,
    settings: GatewaySettings,
    metrics: GatewayMetrics,
) -> ReadConnections:
    """Where the GET endpoints' read-model queries run: the primary, or a read replica while
    it is within the staleness bound."""
    if not settings.read_replica_url:
        return PrimaryReads(store.pool)
    replica = await open_replica_pool(
        settings.read_replica_url,
        max_size=settings.read_replica_pool_max,
        timeout_seconds=settings.read_replica_timeout_seconds,
    )
    return ReplicaReads(
        store.pool,
        replica,
        projection.name,
        projection.event_types,
        StalenessBound(settings.read_replica_max_lag_events, settings.read_replica_max_lag_seconds),
        check_seconds=settings.read_replica_check_seconds,
        timeout_seconds=settings.read_replica_timeout_seconds,
        served=lambda source: metrics.read_model_queries.labels(source).inc(),
    )


async def _watch_completions(
    context: GatewayContext, stop: asyncio.Event, wakeup: Wakeup, every: float
) -> None:
    """Look for finished jobs whenever the read models move, and every `every` seconds (a job
    may be finished by another replica's projection)."""
    paused = False
    while not stop.is_set():
        try:
            await complete_finished_jobs(context.store, context.read_models)
        except Exception as error:
            if not database_unreachable(error):
                log.exception("job completion check failed")
            elif not paused:  # once per outage, not every poll
                log.warning("job completion paused: database unreachable (%s)", describe(error))
            paused = True
        else:
            if paused:
                log.info("job completion resumed")
            paused = False
        await wakeup.wait(stop, every)


async def _keep_key_usage(context: GatewayContext, stop: asyncio.Event) -> None:
    """Write keys' last use every few seconds (and once more on the way out); drop spent
    rate-limit windows."""
    every = context.settings.key_usage_flush_seconds
    while True:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=every)
        try:
            await context.key_usage.flush()
            await context.limiter.forget_old_windows()
        except Exception:
            log.exception("recording API keys' last use failed")
        if stop.is_set():
            return
