"""The exporter's composition root: real adapters from settings, handed to handlers."""

from __future__ import annotations

from exporter.adapters.event_history import StoredPlans, StoredRegistrations
from exporter.adapters.manuscript_progress import ManuscriptProgressProjection
from exporter.adapters.migrate import upgrade_async
from exporter.application.ports import ExportPorts, ManuscriptExportPorts
from exporter.domain.urls import GatewayUrls
from exporter.entrypoints.manuscript_export_loop import ManuscriptExportLoop
from exporter.entrypoints.subscriptions import exporter_subscriptions
from infra.artifact_stores import artifact_store
from infra.eventstore import PostgresEventStore
from infra.projections import ProjectionRunner
from infra.service import ServiceParts
from infra.settings import Settings


async def build(
    settings: Settings, store: PostgresEventStore, *, poll_seconds: float = 1.0
) -> ServiceParts:
    # The exporter's own tables exist before the projection that fills them starts.
    await upgrade_async(settings.direct_database_url())
    artifacts = artifact_store(settings)
    urls = GatewayUrls(settings.public_url)
    pages = ExportPorts(artifacts, urls, StoredRegistrations(store))
    # Woken by appends, the projection is quick to follow; the export loop looks whenever it
    # has moved, and every `poll_seconds` anyway (another replica's projection may have).
    progress = ProjectionRunner(store, ManuscriptProgressProjection())
    manuscripts = ManuscriptExportLoop(
        store.pool,
        ManuscriptExportPorts(store, artifacts, urls),
        poll_seconds=poll_seconds,
        wakeup=progress.applied.subscribe(),
    )
    return ServiceParts(
        subscriptions=exporter_subscriptions(
            pages,
            StoredPlans(store),
            max_deliver=settings.max_deliver,
            ack_wait=settings.ack_wait_seconds,
        ),
        background=[progress.run, manuscripts.run],
    )
