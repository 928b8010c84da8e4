"""Serving a process's registry over HTTP, with prometheus_client's own server, when configured.

`RECTO_METRICS_PORT` unset: no server, and nothing sampled. A number: that port (in a container
each pod has its own address, so every replica uses the same one). `0`: a free port the system
picks, so several replicas on one host never collide; the heartbeat file records it.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

from prometheus_client import CollectorRegistry, start_http_server

from infra.metrics.sampling import sample_every
from infra.settings import Settings

log = logging.getLogger(__name__)


class MetricsPortTaken(SystemExit):
    """The configured metrics port is in use: the process exits saying so."""


@contextlib.asynccontextmanager
async def exposed(
    settings: Settings,
    registry: CollectorRegistry,
    stop: asyncio.Event,
    sample: Callable[[], Awaitable[None]],
) -> AsyncIterator[dict[str, object]]:
    """Serve `registry` at `/metrics` and run `sample` every `RECTO_METRICS_SAMPLE_SECONDS`
    while inside; yields what the heartbeat file should record (nothing when metrics are off)."""
    if settings.metrics_port is None:
        yield {}
        return
    host = settings.metrics_host
    try:
        # A thread of its own: a scrape never waits for the event loop, however busy.
        server, thread = start_http_server(settings.metrics_port, host, registry)
    except OSError as error:
        if error.errno != errno.EADDRINUSE:
            raise
        raise MetricsPortTaken(
            f"RECTO_METRICS_PORT {settings.metrics_port} is in use on {host}: "
            "set it to 0 to have each process pick a free port"
        ) from error
    port = server.server_port
    reachable = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "::1"}.get(host, host)
    url = f"http://{f'[{reachable}]' if ':' in reachable else reachable}:{port}/metrics"
    log.info("metrics served", extra={"metrics_url": url})
    sampler = asyncio.create_task(sample_every(settings.metrics_sample_seconds, stop, sample))
    try:
        yield {"metrics_port": port, "metrics_url": url}
    finally:
        sampler.cancel()
        await asyncio.gather(sampler, return_exceptions=True)  # its own cancellation, not ours
        # `shutdown` waits for the server's next poll (up to half a second): not on the loop.
        await asyncio.to_thread(server.shutdown)
        server.server_close()
        thread.join()
