"""Prometheus metrics of a worker process (ingest, analyzer, exporter, the relay).

Each process counts into a registry of its own (`process_registry`), hands parts of it to the
consumer runtime (`ConsumerMetrics`) or the relay (`RelayMetrics`), and serves it over HTTP when
`RECTO_METRICS_PORT` is set (`exposed`). Names, labels and settings: docs/metrics.md.
"""

from infra.metrics.consumers import (
    ConsumerMetrics,
    Outcome,
    event_type_label,
    sample_consumer_lag,
)
from infra.metrics.exposition import MetricsPortTaken, exposed
from infra.metrics.registry import process_registry
from infra.metrics.relay import RelayMetrics, sample_relay_lag
from infra.metrics.sampling import sample_every

__all__ = [
    "ConsumerMetrics",
    "MetricsPortTaken",
    "Outcome",
    "RelayMetrics",
    "event_type_label",
    "exposed",
    "process_registry",
    "sample_consumer_lag",
    "sample_every",
    "sample_relay_lag",
]
