"""The services `recto serve` can run, each built by its own composition root."""

from __future__ import annotations

import asyncio

from infra.eventstore.migrate import upgrade
from infra.logs import configure_logging
from infra.messaging.relay_process import run_relay
from infra.service import Build, run_service, stop_on_signals
from infra.settings import Settings


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
    stop = stop_on_signals()
    if name == "relay":
        await run_relay(settings, stop)
    elif name == "gateway":
        from gateway.bootstrap import serve_gateway

        await serve_gateway(settings, stop)
    else:
        await run_service(name, settings, _builder(name), stop)


def migrate_all(settings: Settings) -> None:
    if not settings.database_url:
        raise SystemExit("RECTO_DATABASE_URL must be set")
    upgrade(settings.database_url)


def serve(name: str) -> None:
    settings = Settings()
    configure_logging(name, level=settings.log_level, json_lines=settings.log_json)
    asyncio.run(_serve(name, settings))
