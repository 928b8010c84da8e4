"""One timed pass of the whole pipeline: imports in, every job done, figures out."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from stack_probe import StackProbe, cpu_per_page_ms, peak_rss

from contracts import EngineStep, Plan
from recto.client import GatewayClient
from recto.sample.iiif_server import serving
from recto.sample.pages import SamplePage
from recto.stack import Stack, running_stack

STACK_ENV = {"RECTO_AUTH": "off", "RECTO_FETCH_ALLOW": "127.0.0.1"}
JOB_TIMEOUT = 600.0
# Polling the gateway costs it CPU: often enough for B5's seconds, no more.
POLL_SECONDS = 0.1


@dataclass
class PipelineRun:
    pages: int
    seconds: float  # first import request to the last job seen done
    server_seconds: float  # first job's started_at to the last job's finished_at
    exported: int
    failed: int
    cpu_ms_per_page: dict[str, float]
    load_average: tuple[float, float, float] = field(default_factory=os.getloadavg)

    @property
    def pages_per_second(self) -> float:
        return self.pages / self.seconds


@contextlib.contextmanager
def bench_stack(analyzers: int) -> Iterator[tuple[Stack, StackProbe, GatewayClient, str]]:
    """A fresh stack (embedded servers, every service), its probe, a client and a corpus."""
    state_dir = Path(tempfile.mkdtemp(prefix="recto-bench-pipeline-", dir="/tmp"))
    state_dir.chmod(0o755)  # the embedded PostgreSQL runs as nobody when root
    try:
        with running_stack(state_dir, analyzers=analyzers, extra_env=STACK_ENV) as stack:
            client = GatewayClient(stack.gateway_url)
            corpus_id = client.ensure_corpus("bench", "Pipeline benchmark")
            try:
                yield stack, StackProbe(stack), client, corpus_id
            finally:
                client.close()
    finally:
        shutil.rmtree(state_dir, ignore_errors=True)


def run_pipeline(
    client: GatewayClient,
    corpus_id: str,
    probe: StackProbe,
    manuscripts: list[tuple[list[SamplePage], Plan]],
    peaks: dict[str, float],
) -> PipelineRun:
    """Serve the manuscripts on fresh URLs, import them all, wait for every job."""
    with contextlib.ExitStack() as servers:
        urls = [servers.enter_context(serving(pages, "bench")) for pages, _ in manuscripts]
        load = os.getloadavg()
        before = probe.cpu_seconds()
        with peak_rss(probe, peaks):
            started = time.perf_counter()
            accepted = [
                client.import_manifest(corpus_id, url, plan)
                for url, (_, plan) in zip(urls, manuscripts, strict=True)
            ]
            jobs = wait_for_jobs(client, [str(a["job_id"]) for a in accepted])
            seconds = time.perf_counter() - started
        after = probe.cpu_seconds()
    pages = sum(len(p) for p, _ in manuscripts)
    begun = min(_instant(job["started_at"] or job["created_at"]) for job in jobs)
    ended = max(_instant(job["finished_at"]) for job in jobs)
    return PipelineRun(
        pages=pages,
        seconds=seconds,
        server_seconds=(ended - begun).total_seconds(),
        exported=sum(job["counts"]["exported"] for job in jobs),
        failed=sum(job["counts"]["failed"] for job in jobs),
        cpu_ms_per_page=cpu_per_page_ms(before, after, pages),
        load_average=load,
    )


def wait_for_jobs(client: GatewayClient, job_ids: list[str]) -> list[dict[str, Any]]:
    finished: dict[str, dict[str, Any]] = {}
    deadline = time.monotonic() + JOB_TIMEOUT
    while len(finished) < len(job_ids):
        if time.monotonic() > deadline:
            raise TimeoutError(f"jobs not done after {JOB_TIMEOUT:.0f}s: {job_ids}")
        for job_id in job_ids:
            if job_id in finished:
                continue
            response = client.http.get(f"/jobs/{job_id}")
            if response.status_code == 404:
                continue  # accepted, not yet projected into the read model
            response.raise_for_status()
            job = response.json()
            if job["status"] in ("done", "failed"):
                finished[job_id] = job
        time.sleep(POLL_SECONDS)
    return [finished[job_id] for job_id in job_ids]


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text)


def null_plan() -> Plan:
    return Plan(primary=EngineStep(engine="null", languages=["eng"]))


def tesseract_plan(languages: tuple[str, ...]) -> Plan:
    return Plan(primary=EngineStep(engine="tesseract", languages=list(languages)))
