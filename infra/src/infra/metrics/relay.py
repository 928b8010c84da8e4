"""What the relay counts: events published, failed publishes, and how far it trails the log."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge

from infra.eventstore import PostgresEventStore
from infra.eventstore.checkpoints import load_checkpoint

LAG_COUNTED_UP_TO = 100_000
"""Events past the checkpoint are counted up to this: a relay that far behind is simply far
behind, and counting further would cost every sample more. The positions show the rest."""


class RelayMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        registry = registry if registry is not None else CollectorRegistry()
        self.relayed = Counter(
            "recto_relay_events",
            "events published to JetStream and checkpointed",
            registry=registry,
        )
        self.publish_failures = Counter(
            "recto_relay_publish_failures",
            "batches not published or not acknowledged in time (published again, deduplicated)",
            registry=registry,
        )
        self.lag = Gauge(
            "recto_relay_lag_events",
            f"events recorded past the relay's checkpoint (counted up to {LAG_COUNTED_UP_TO})",
            registry=registry,
        )
        self.head = Gauge(
            "recto_relay_head_position",
            "position of the newest event in the store",
            registry=registry,
        )
        self.checkpoint = Gauge(
            "recto_relay_checkpoint_position",
            "position up to which the relay has published",
            registry=registry,
        )


async def sample_relay_lag(
    store: PostgresEventStore,
    relay: str,
    metrics: RelayMetrics,
    *,
    at_most: int = LAG_COUNTED_UP_TO,
) -> None:
    """Read from the store, not the relay's memory: a standby replica reports the same figures
    as the active one, so any replica's scrape tells the truth."""
    metrics.head.set(await store.head_position())
    metrics.checkpoint.set(await load_checkpoint(store.pool, relay))
    metrics.lag.set(await store.lag(relay, at_most=at_most))
