"""What the relay counts: events published, failed publishes, and how far it trails the log."""

from __future__ import annotations

import math

from prometheus_client import CollectorRegistry, Counter, Gauge

from infra.eventstore import PostgresEventStore
from infra.eventstore.checkpoints import load_checkpoint
from infra.messaging.outages import may_be_outage

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
    as the active one, so any replica's scrape tells the truth. While the database is away
    they read NaN: an old figure would look like a real one."""
    head: float
    checkpoint: float
    lag: float
    try:
        head = await store.head_position()
        checkpoint = await load_checkpoint(store.pool, relay)
        lag = await store.lag(relay, at_most=at_most)
    except Exception as error:
        if not may_be_outage(error):
            raise
        head = checkpoint = lag = math.nan
    metrics.head.set(head)
    metrics.checkpoint.set(checkpoint)
    metrics.lag.set(lag)
