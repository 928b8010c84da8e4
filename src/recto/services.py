"""The services `recto serve` can run, each built by its own composition root."""

from __future__ import annotations

import asyncio
from functools import partial
from typing import TYPE_CHECKING

from infra.heap import settle
from infra.logs import configure_logging
from infra.settings import Settings
from infra.signals import stop_on_signals

if TYPE_CHECKING:
    from infra.migrations import Migrations
    from infra.service import Build

# Each process imports what its own service needs, no more: imports are most of a service's
# start-up (`bench/startup.py`), and the relay, say, needs no faststream.


def _builder(name: str) -> Build:
    if name == "ingest":
        from ingest.bootstrap import build as ingest

        return ingest
    if name == "analyzer":
        from analyzer.bootstrap import build as analyzer

        return analyzer
    if name == "exporter":
        from exporter.bootstrap import build as exporter

        return exporter
    raise ValueError(f"unknown service {name!r}")


async def _serve(name: str, settings: Settings) -> None:
    if name == "gateway":
        await serve_gateway(settings)
        return
    if name == "relay":
        from infra.messaging.relay_process import run_relay

        settle()  # imported: modules and schemas live as long as the process
        await run_relay(settings, stop_on_signals())
    else:
        from infra.service import run_service

        build = _builder(name)
        settle()
        await run_service(name, settings, build, stop_on_signals())


async def serve_gateway(settings: Settings) -> None:
    """The gateway with the analyzer's plan validator: a bad plan is a 422 at submission."""
    from analyzer.application.plans import validate_plan
    from analyzer.application.prompts import PromptTemplates
    from gateway.bootstrap import create_gateway_app
    from gateway.entrypoints.server import GatewayServer, server_config
    from gateway.settings import GatewaySettings

    own = GatewaySettings()
    check_plan = partial(validate_plan, templates=PromptTemplates())
    app = create_gateway_app(settings, own, plan_validator=check_plan)
    config = server_config(app, own, log_config=None, access_log=False)
    settle()  # imported: modules and schemas live as long as the process
    # uvicorn handles SIGTERM and SIGINT itself, draining connections before it returns.
    await GatewayServer(config).serve()


def every_migration() -> list[Migrations]:
    """Every service's migrations, the event store's first."""
    from exporter.adapters.migrate import MIGRATIONS as EXPORTER
    from gateway.adapters.migrate import MIGRATIONS as GATEWAY
    from infra.eventstore.migrate import MIGRATIONS as EVENT_STORE
    from ingest.adapters.migrate import MIGRATIONS as INGEST

    return [EVENT_STORE, INGEST, EXPORTER, GATEWAY]


def migrate_all(settings: Settings) -> None:
    """Every service's tables; each service also migrates its own at start-up."""
    from infra.migrations import upgrade

    database_url = settings.direct_database_url()
    for migrations in every_migration():
        upgrade(migrations, database_url)


async def provision_streams(settings: Settings) -> None:
    """The JetStream streams, with RECTO_NATS_REPLICAS replicas; services keep what exists."""
    import nats

    from infra.messaging.provisioning import ensure_streams
    from infra.natsurls import nats_servers

    client = await nats.connect(nats_servers(settings))
    try:
        await ensure_streams(
            client.jetstream(), settings.nats_prefix, replicas=settings.nats_replicas
        )
    finally:
        await client.close()


def serve(name: str) -> None:
    settings = Settings()
    configure_logging(name, level=settings.log_level, json_lines=settings.log_json)
    asyncio.run(_serve(name, settings))
