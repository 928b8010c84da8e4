"""One registry per process: its own metrics, the process's CPU and memory, and who it is."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Info, ProcessCollector


def process_registry(service: str, replica: str) -> CollectorRegistry:
    """A registry of this process's own, never prometheus_client's global one: tests run
    several services in one process, and each must count only its own work."""
    registry = CollectorRegistry()
    # process_cpu_seconds_total, process_resident_memory_bytes…: the figures resource
    # requests and the capacity model are made of.
    ProcessCollector(registry=registry)
    Info("recto_service", "the service and replica this process is", registry=registry).info(
        {"service": service, "replica": replica}
    )
    return registry
