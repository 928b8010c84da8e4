"""Prometheus metrics of one gateway app, in a registry of its own."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class GatewayMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.request_seconds = Histogram(
            "recto_gateway_request_seconds",
            "HTTP request latency",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.projection_lag = Gauge(
            "recto_gateway_projection_lag_events",
            "events not yet in the read models",
            registry=self.registry,
        )
        self.feed_clients = Gauge(
            "recto_gateway_feed_clients",
            "connected feed clients (websocket and SSE)",
            registry=self.registry,
        )
        self.feed_overflows = Gauge(
            "recto_gateway_feed_slow_disconnects",
            "feed clients dropped for being too slow",
            registry=self.registry,
        )
        self.read_model_queries = Counter(
            "recto_gateway_read_model_queries",
            "read-model queries, by the database they ran on (primary or replica)",
            ["source"],
            registry=self.registry,
        )
        self.read_replica_in_use = Gauge(
            "recto_gateway_read_replica_in_use",
            "1 while read-model GET requests go to the read replica, 0 while to the primary",
            registry=self.registry,
        )
        self.read_replica_lag_events = Gauge(
            "recto_gateway_read_replica_lag_events",
            "events in the primary's read models not yet in the replica's (bounded; NaN unknown)",
            registry=self.registry,
        )
        self.read_replica_lag_seconds = Gauge(
            "recto_gateway_read_replica_lag_seconds",
            "age of the oldest of those events (NaN when unknown)",
            registry=self.registry,
        )
