"""Everything a request handler may use, built once by `gateway.bootstrap`."""

from __future__ import annotations

from dataclasses import dataclass, field

from gateway.adapters.api_keys import PostgresKeyStore
from gateway.adapters.feed_hub import FeedHub
from gateway.adapters.health import HealthProbe
from gateway.adapters.queries import ReadModels
from gateway.application.ports import PlanValidator
from gateway.application.search import SearchIndex
from gateway.domain.rate_limit import RateLimiter
from gateway.entrypoints.metrics import GatewayMetrics
from gateway.settings import GatewaySettings
from infra.artifacts import ArtifactStore
from infra.eventstore import PostgresEventStore


@dataclass
class GatewayContext:
    settings: GatewaySettings
    store: PostgresEventStore
    read_models: ReadModels
    keys: PostgresKeyStore
    artifacts: ArtifactStore
    hub: FeedHub
    health: HealthProbe
    plan_validator: PlanValidator
    metrics: GatewayMetrics
    search: SearchIndex
    limiter: RateLimiter = field(init=False)

    def __post_init__(self) -> None:
        self.limiter = RateLimiter(
            self.settings.rate_limit_per_second, self.settings.rate_limit_burst
        )
