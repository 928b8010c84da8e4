"""Losing a NATS node mid-import: three `nats-server` processes as one JetStream cluster, R3
streams, the whole stack in processes of its own, and the node that leads the event stream
killed while pages flow. Every page must still be exported exactly once."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from contracts.subjects import events_stream
from infra.testing.nats_cluster import NatsCluster, jetstream_ready, leader_of, stream_info
from recto.client import GatewayClient
from recto.sample.iiif_server import serving
from recto.stack import running_stack

from .scale_kit import STACK_ENV, exports_per_page, null_plan, small_pages, wait_for_job

pytestmark = [pytest.mark.integration, pytest.mark.e2e, pytest.mark.slow]
PAGES = 100
KILL_AFTER_EXPORTED = 25
STALL_SECONDS = 180.0
"""After the kill, this long without one more page exported counts as never recovering."""
PREFIX = "recto"


class Stalled(Exception):
    """No page was exported for STALL_SECONDS after the node died."""


@dataclass
class NodeLoss:
    """Watches the job's progress; kills the node once enough pages are out, then times the
    recovery: from the kill to the next page exported."""

    cluster: NatsCluster
    node: str
    started: float = field(default_factory=time.monotonic)
    killed_at: float | None = None
    exported_at_kill: int = 0
    recovered_at: float | None = None
    longest_pause: float = 0.0
    """The longest time without a page exported, after the kill: the time to recover."""
    last_progress: tuple[int, float] = (0, 0.0)

    def __call__(self, job: dict[str, Any] | None) -> None:
        exported = job["counts"]["exported"] if job else 0
        now = time.monotonic() - self.started
        if exported != self.last_progress[0]:
            if self.killed_at is not None:
                since = now - max(self.last_progress[1], self.killed_at)
                self.longest_pause = max(self.longest_pause, since)
            self.last_progress = (exported, now)
        if self.killed_at is None:
            if exported >= KILL_AFTER_EXPORTED:
                self.cluster.kill(self.node)
                self.killed_at, self.exported_at_kill = now, exported
            return
        if self.recovered_at is None and exported > self.exported_at_kill:
            self.recovered_at = now
        if now - max(self.last_progress[1], self.killed_at) > STALL_SECONDS:
            raise Stalled(f"{exported} of {PAGES} pages exported, none for {STALL_SECONDS:.0f}s")


def provision_r3(urls: list[str]) -> None:
    """What the migration Job does in the manifests: `recto provision` on every server."""
    asyncio.run(jetstream_ready(urls))
    environment = {
        **os.environ,
        "RECTO_NATS_URL": ",".join(urls),
        "RECTO_NATS_PREFIX": PREFIX,
        "RECTO_NATS_REPLICAS": "3",
    }
    subprocess.run(
        [sys.executable, "-m", "recto", "provision"], env=environment, check=True, timeout=120
    )


@pytest.mark.timeout(1800)
def test_every_page_is_exported_once_when_the_stream_leader_dies(tmp_path: Path) -> None:
    with NatsCluster(tmp_path / "nats") as cluster:
        provision_r3(cluster.urls)
        leader = leader_of(asyncio.run(stream_info(cluster.urls, events_stream(PREFIX))))
        # Every service starts on the node that will die: it must find the others by itself,
        # from the server list the cluster announces to its clients.
        environment = {
            **STACK_ENV,
            "RECTO_NATS_URL": cluster.node(leader).url,
            "RECTO_NATS_PREFIX": PREFIX,
            # A message whose ack died with the node comes back after this; the redelivery has
            # no second effect (processed ids), it only costs time.
            "RECTO_ACK_WAIT_SECONDS": "10",
        }
        with running_stack(tmp_path / "state", analyzers=2, extra_env=environment) as stack:
            client = GatewayClient(stack.gateway_url)
            try:
                corpus_id = client.ensure_corpus("cluster", "A node dies")
                with serving(small_pages(PAGES, "cluster"), "A node dies") as manifest_url:
                    loss = NodeLoss(cluster, leader)
                    accepted = client.import_manifest(corpus_id, manifest_url, null_plan())
                    job = wait_for_job(
                        client, str(accepted["job_id"]), timeout=1500, every=0.2, on_poll=loss
                    )
                    done_at = time.monotonic() - loss.started
                per_page = exports_per_page(stack.database_url)
                survivors = [node.url for node in cluster.nodes if node.name != leader]
                after = asyncio.run(stream_info(survivors, events_stream(PREFIX)))
            finally:
                client.close()

    new_leader = leader_of(after)
    assert loss.killed_at is not None, "the import ended before the node could be killed"
    assert loss.recovered_at is not None
    print(
        f"\nNATS node loss: {leader} (stream leader) killed at {loss.killed_at:.1f}s with "
        f"{loss.exported_at_kill}/{PAGES} pages exported; next page exported "
        f"{loss.recovered_at - loss.killed_at:.1f}s later; longest pause after the kill "
        f"{loss.longest_pause:.1f}s; all {PAGES} done at {done_at:.1f}s; new leader {new_leader}"
    )
    assert job["status"] == "done", job
    assert job["counts"]["exported"] == PAGES
    assert len(per_page) == PAGES
    assert set(per_page.values()) == {1}
    assert new_leader != leader
    # Services ensure the streams at start-up without scaling them down.
    assert after.config.num_replicas == 3
