"""Chaos against the real stack: every service a process of its own under `recto up`'s
supervisor, PostgreSQL and NATS owned by the test so that it can take them away and bring them
back on the same ports with the same data.

Pages are served by a loopback IIIF server whose image answers wait at a gate the test opens,
so "mid-import" is a state the test reaches, not a moment it hopes to hit. Every scenario
prints its figures (pages, lost, doubled, seconds to recover) and appends them to
`test-artifacts/chaos.jsonl`. `RECTO_CHAOS_SOAK=1` repeats each scenario a few times.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import anyio
import asyncpg
import httpx
import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send

from contracts import EngineStep, Plan
from infra.embedded import EmbeddedNats, EmbeddedPostgres
from infra.embedded.process import free_port
from infra.testing.patience import patient
from recto.client import GatewayClient
from recto.sample.iiif_server import sample_app
from recto.sample.pages import SamplePage, generated_pages
from recto.stack import Stack

DEADLINE = patient(float(os.environ.get("RECTO_CHAOS_DEADLINE", "900")))
"""Seconds any awaited condition may take: generous, since the host may be loaded."""
SOAK_ROUNDS = 3 if os.environ.get("RECTO_CHAOS_SOAK") == "1" else 1
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
BODY_TIMEOUT = 3.0
"""The gateway's wait for a request body that stalls, shortened so the suite sees it end."""
STACK_ENV = {
    "RECTO_AUTH": "off",
    "RECTO_FETCH_ALLOW": "127.0.0.1",
    # Short, so that a killed consumer's page moves on within seconds (in-progress acks keep
    # running work from being redelivered).
    "RECTO_ACK_WAIT_SECONDS": "6",
    "RECTO_BODY_TIMEOUT_SECONDS": str(BODY_TIMEOUT),
    # The VLM engine's endpoint answers nothing (the discard port): its pages always fail.
    "RECTO_VLM_BASE_URL": "http://127.0.0.1:9/v1",
    "RECTO_VLM_MAX_ATTEMPTS": "1",
    "RECTO_HEADER_TIMEOUT_SECONDS": str(BODY_TIMEOUT),
}


def wait_until(condition: Callable[[], bool], what: str, deadline: float = DEADLINE) -> float:
    """Poll `condition` until it holds; returns the seconds it took."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > deadline:
            raise TimeoutError(f"{what}: not after {deadline:.0f} s")
        time.sleep(0.1)
    return time.monotonic() - started


class Servers:
    """The PostgreSQL and NATS the stack uses, stoppable and restartable in place."""

    def __init__(self, root: Path) -> None:
        self.postgres = EmbeddedPostgres(root / "postgres", durable=False)
        self.nats = EmbeddedNats(root / "nats")

    def start(self) -> None:
        self.postgres.start()
        self.nats.start()

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self.nats.stop()
        with contextlib.suppress(Exception):
            self.postgres.stop()

    def take_down(self, name: str) -> None:
        (self.nats if name == "nats" else self.postgres).stop()

    def bring_up(self, name: str) -> None:
        (self.nats if name == "nats" else self.postgres).start()


class ImageGate:
    """Holds the sample IIIF server's image answers until the test lets pages through.

    A page once let through stays through, so that ingest's retries of it are answered.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._allowed = 0
        self._passed: set[str] = set()
        self._changed = threading.Condition()
        # Its own threads: waiting requests must not starve the server's sync endpoints.
        self._waiters = anyio.CapacityLimiter(10_000)

    def release(self, pages: int) -> None:
        with self._changed:
            self._allowed += pages
            self._changed.notify_all()

    def _room(self) -> bool:
        return len(self._passed) < self._allowed

    def _admit(self, name: str) -> None:
        with self._changed:
            self._changed.wait_for(
                lambda: name in self._passed or len(self._passed) < self._allowed
            )
            self._passed.add(name)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if path.startswith("/image/") and path.endswith(".jpg"):
            name = path.split("/")[2]
            await anyio.to_thread.run_sync(self._admit, name, limiter=self._waiters)
        await self.app(scope, receive, send)


@contextlib.contextmanager
def gated_manifest(pages: list[SamplePage], label: str) -> Iterator[tuple[str, ImageGate]]:
    """Serve `pages` on a free port behind an image gate; yields the manifest URL and gate."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    gate = ImageGate(sample_app(pages, base, label))
    server = uvicorn.Server(
        uvicorn.Config(gate, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_until(lambda: server.started or not thread.is_alive(), "the sample IIIF server")
    try:
        yield f"{base}/manifest.json", gate
    finally:
        gate.release(10_000)
        server.should_exit = True
        thread.join(30)


@dataclass
class Figures:
    scenario: str
    pages: int
    exported: int
    lost: int
    doubled: int
    failed: int = 0
    recover_seconds: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def report(self) -> None:
        line = (
            f"chaos {self.scenario}: pages {self.pages}, exported {self.exported}, "
            f"lost {self.lost}, doubled {self.doubled}, failed {self.failed}"
        )
        if self.recover_seconds is not None:
            line += f", recovered in {self.recover_seconds:.1f} s"
        if self.extra:
            line += ", " + ", ".join(f"{k} {v}" for k, v in self.extra.items())
        print(line, flush=True)
        ARTIFACTS.mkdir(exist_ok=True)
        with (ARTIFACTS / "chaos.jsonl").open("a") as record:
            record.write(json.dumps(asdict(self)) + "\n")


def null_plan() -> Plan:
    return Plan(primary=EngineStep(engine="null", languages=["eng"]))


class Chaos:
    """A running stack on test-owned servers, with the means to hurt it and measure it."""

    def __init__(self, stack: Stack, servers: Servers, client: GatewayClient) -> None:
        self.stack, self.servers, self.client = stack, servers, client
        self.corpus_id = client.ensure_corpus("chaos", "Chaos")
        self._imports = 0

    # The pipeline ---------------------------------------------------------------------------

    @contextlib.contextmanager
    def importing(self, pages: int, plan: Plan | None = None) -> Iterator[Import]:
        """Serve `pages` fresh pages (nothing let through yet) and import them."""
        self._imports += 1
        label = f"chaos {self._imports}"
        served = generated_pages(pages)
        with gated_manifest(served, label) as (url, gate):
            accepted = self.client.import_manifest(self.corpus_id, url, plan or null_plan())
            yield Import(self, str(accepted["job_id"]), pages, gate)

    def job(self, job_id: str) -> dict[str, Any] | None:
        with contextlib.suppress(httpx.HTTPError):
            response = self.client.http.get(f"/jobs/{job_id}")
            if response.status_code == 200:
                job: dict[str, Any] = response.json()
                return job
        return None

    def query(self, sql: str, *args: object) -> list[asyncpg.Record]:
        async def run() -> list[asyncpg.Record]:
            url = self.stack.database_url.replace("postgresql+asyncpg", "postgresql")
            connection = await asyncpg.connect(url)
            try:
                return list(await connection.fetch(sql, *args))
            finally:
                await connection.close()

        return asyncio.run(run())

    def events_per_page(self, event_type: str, job_id: str) -> dict[str, int]:
        rows = self.query(
            "SELECT data->>'page_id' AS page, count(*) AS n FROM events "
            "WHERE type = $1 AND data->>'job_id' = $2 GROUP BY 1",
            event_type,
            job_id,
        )
        return {row["page"]: row["n"] for row in rows}

    def registered(self, job_id: str) -> set[str]:
        return set(self.events_per_page("page.registered", job_id))

    # Readiness ------------------------------------------------------------------------------

    def ready(self, service: str | None = None) -> bool:
        states = self.stack.readiness()
        if service is not None:
            return states[service].ready
        return all(state.ready for state in states.values())

    def gateway_ready(self) -> bool:
        with contextlib.suppress(httpx.HTTPError):
            return httpx.get(f"{self.stack.gateway_url}/readyz", timeout=5).status_code == 200
        return False


@dataclass
class Import:
    chaos: Chaos
    job_id: str
    pages: int
    gate: ImageGate

    def let_through(self, pages: int) -> None:
        self.gate.release(pages)

    def exported(self) -> int:
        return len(self.chaos.events_per_page("page.exported", self.job_id))

    def wait_for_exports(self, at_least: int) -> None:
        wait_until(lambda: self.exported() >= at_least, f"{at_least} pages exported")

    def wait_until_finished(self) -> dict[str, Any]:
        finished: dict[str, Any] = {}

        def done() -> bool:
            job = self.chaos.job(self.job_id)
            if job is not None and job["status"] in ("done", "failed", "cancelled"):
                finished.update(job)
                return True
            return False

        wait_until(done, f"job {self.job_id} finished")
        return finished

    def figures(self, scenario: str, **extra: Any) -> Figures:
        registered = self.chaos.registered(self.job_id)
        exports = self.chaos.events_per_page("page.exported", self.job_id)
        failed = self.chaos.events_per_page("page.analysis_failed", self.job_id)
        return Figures(
            scenario=scenario,
            pages=len(registered),
            exported=len(exports),
            lost=len(registered - set(exports) - set(failed)),
            doubled=sum(1 for n in exports.values() if n > 1),
            failed=len(set(failed) - set(exports)),
            **extra,
        )


def kill_hard(pid: int) -> None:
    os.kill(pid, signal.SIGKILL)
