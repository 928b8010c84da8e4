"""Serving a process's metrics: off unless configured, a free port per replica on request, a clear
exit when a fixed port is taken. Real HTTP on loopback."""

from __future__ import annotations

import asyncio
import socket

import pytest

from infra.metrics import (
    ConsumerMetrics,
    MetricsPortTaken,
    Outcome,
    event_type_label,
    exposed,
    process_registry,
)
from infra.settings import Settings
from infra.testing.metrics import scrape


def settings(port: int | None) -> Settings:
    return Settings(metrics_port=port, metrics_sample_seconds=0.05)


async def nothing() -> None:
    return None


async def test_no_port_serves_nothing_and_samples_nothing() -> None:
    before = asyncio.all_tasks()
    registry = process_registry("ingest", "i-1")
    async with exposed(settings(None), registry, asyncio.Event(), nothing) as served:
        started = asyncio.all_tasks() - before  # a sampler would be a task of its own

    assert served == {}
    assert started == set()


async def test_replicas_on_one_host_each_get_a_free_port_and_serve_their_own_figures() -> None:
    stop = asyncio.Event()
    first, second = process_registry("analyzer", "a-1"), process_registry("analyzer", "a-2")
    ConsumerMetrics(first).settled("analyzer", "page.image_normalized", Outcome.ACKED)
    async with (
        exposed(settings(0), first, stop, nothing) as one,
        exposed(settings(0), second, stop, nothing) as two,
    ):
        assert one["metrics_port"] != two["metrics_port"]
        scraped = [await scrape(str(served["metrics_url"])) for served in (one, two)]

    labels = {"consumer": "analyzer", "event_type": "page.image_normalized", "outcome": "acked"}
    assert [s.value("recto_consumer_messages_total", **labels) for s in scraped] == [1, None]
    assert [s.value("recto_service_info", replica="a-1") for s in scraped] == [1, None]


async def test_a_taken_port_ends_the_process_naming_the_setting() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(MetricsPortTaken, match=f"RECTO_METRICS_PORT {port} is in use"):
            async with exposed(
                settings(port), process_registry("x", "x-1"), asyncio.Event(), nothing
            ):
                pass


async def test_samples_run_until_stopped_and_a_failing_one_does_not_end_them() -> None:
    stop = asyncio.Event()
    calls = 0

    async def flaky() -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ConnectionError("NATS is away")
        if calls == 3:
            stop.set()

    async with exposed(settings(0), process_registry("x", "x-1"), stop, flaky):
        await asyncio.wait_for(stop.wait(), 10)

    assert calls == 3


def test_event_type_labels_are_the_subscriptions_own_or_other() -> None:
    types = ["page.analyzed", "page.analysis_failed"]

    assert event_type_label("recto", types, "recto.evt.page.analyzed") == "page.analyzed"
    assert event_type_label("recto", types, "recto.evt.page.exported") == "other"
    assert event_type_label("recto", types, "other.evt.page.analyzed") == "other"
