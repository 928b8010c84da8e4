"""The ingest service's composition root: real adapters from settings, handed to handlers."""

from __future__ import annotations

from infra.artifacts import FileArtifactStore
from infra.eventstore import PostgresEventStore
from infra.service import ServiceParts
from infra.settings import Settings
from ingest.adapters.http_fetcher import HttpxFetcher
from ingest.adapters.image_service import CachedImageInfo
from ingest.application.ports import IngestPorts
from ingest.domain.address_policy import AddressPolicy
from ingest.entrypoints.subscriptions import ingest_subscriptions


async def build(settings: Settings, store: PostgresEventStore) -> ServiceParts:
    fetcher = HttpxFetcher(AddressPolicy.from_allow_list(settings.fetch_allow))
    ports = IngestPorts(
        fetcher=fetcher,
        image_info=CachedImageInfo(fetcher),
        artifacts=FileArtifactStore(settings.artifacts),
    )
    return ServiceParts(
        subscriptions=ingest_subscriptions(
            ports, max_deliver=settings.max_deliver, ack_wait=settings.ack_wait_seconds
        ),
        closers=[fetcher.aclose],
    )
