"""Everything a request handler may use, built once by `gateway.bootstrap`."""

from __future__ import annotations

from dataclasses import dataclass, field

from gateway.adapters.api_keys import PostgresKeyRegistry, PostgresKeyStore
from gateway.adapters.feed_hub import FeedHub
from gateway.adapters.health import HealthProbe
from gateway.adapters.key_usage import KeyUsageRecorder
from gateway.adapters.queries import ReadModels
from gateway.adapters.rate_limits import PostgresRateLimiter
from gateway.application.consumer_lag import ConsumerLagSource
from gateway.application.ports import PlanValidator
from gateway.application.search import SearchIndex
from gateway.domain.rate_limit import FixedWindow
from gateway.entrypoints.metrics import GatewayMetrics
from gateway.settings import GatewaySettings
from infra.addresses import AddressPolicy
from infra.artifacts import ArtifactStore
from infra.eventstore import PostgresEventStore


@dataclass
class GatewayContext:
    settings: GatewaySettings
    store: PostgresEventStore
    read_models: ReadModels
    """On the primary: what commands check before they act."""
    reads: ReadModels
    """What the GET endpoints serve: the read replica's while it is fresh enough."""
    keys: PostgresKeyStore
    artifacts: ArtifactStore
    hub: FeedHub
    health: HealthProbe
    plan_validator: PlanValidator
    metrics: GatewayMetrics
    addresses: AddressPolicy
    search: SearchIndex
    consumers: ConsumerLagSource | None = None
    key_registry: PostgresKeyRegistry = field(init=False)
    key_usage: KeyUsageRecorder = field(init=False)
    limiter: PostgresRateLimiter = field(init=False)

    def __post_init__(self) -> None:
        self.key_registry = PostgresKeyRegistry(self.store)
        self.key_usage = KeyUsageRecorder(self.store.pool)
        window = FixedWindow(
            self.settings.rate_limit_requests, self.settings.rate_limit_window_seconds
        )
        self.limiter = PostgresRateLimiter(self.store.pool, window)
