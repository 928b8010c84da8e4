"""Prometheus metrics of one gateway app, in a registry of its own."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Gauge, Histogram


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
