"""The ingest service's composition root: real adapters from settings, handed to handlers."""

from __future__ import annotations

from infra.addresses import AddressPolicy
from infra.artifact_stores import artifact_store
from infra.eventstore import PostgresEventStore
from infra.projections import ProjectionRunner
from infra.service import ServiceParts
from infra.settings import Settings
from ingest.adapters.http_fetcher import HttpxFetcher
from ingest.adapters.image_service import CachedImageInfo
from ingest.adapters.migrate import upgrade_async
from ingest.adapters.watch_projection import WatchedManifestsProjection
from ingest.adapters.watch_scheduler import WatchScheduler
from ingest.adapters.watched_manifests import PostgresWatchedManifests
from ingest.application.ports import IngestPorts, IngestSettings
from ingest.application.watch_manifests import WatchPorts
from ingest.application.watch_ports import WatchSettings
from ingest.entrypoints.subscriptions import ingest_subscriptions
from ingest.settings import PdfSettings


async def build(
    settings: Settings, store: PostgresEventStore, *, watch: WatchSettings | None = None
) -> ServiceParts:
    # Ingest's own tables exist before the projection that fills them starts.
    await upgrade_async(settings.direct_database_url())
    watch = watch or WatchSettings()
    fetcher = HttpxFetcher(AddressPolicy.from_allow_list(settings.fetch_allow))
    ports = IngestPorts(
        fetcher=fetcher,
        image_info=CachedImageInfo(fetcher),
        artifacts=artifact_store(settings),
        settings=IngestSettings(**PdfSettings().model_dump()),
        events=store,
    )
    watched = ProjectionRunner(
        store,
        WatchedManifestsProjection(min_interval_seconds=watch.min_interval_seconds),
        idle_sleep=1.0,
    )
    scheduler = WatchScheduler(
        store.sessions, WatchPorts(PostgresWatchedManifests(store.pool), fetcher, store, watch)
    )
    return ServiceParts(
        subscriptions=ingest_subscriptions(
            ports, max_deliver=settings.max_deliver, ack_wait=settings.ack_wait_seconds
        ),
        background=[watched.run, scheduler.run],
        closers=[fetcher.aclose],
    )
