"""The gateway's own connection to NATS, kept open only so readiness tells the truth about it.

The gateway neither publishes nor consumes (the event store is its outbox), but nothing it
accepts makes progress while the bus is gone, so it is not ready then. A fresh TCP probe per
`/readyz` shows only that something accepts connections on the port; this connection, which
nats-py re-establishes by itself after every loss, shows whether NATS talks to the gateway
now, and a JetStream request shows the stream store answers too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import anyio
from nats.aio.client import Client

from gateway.adapters.outages import describe
from infra.natsurls import nats_server_list

log = logging.getLogger(__name__)


class NatsLink:
    def __init__(self, url: str, *, reconnect_seconds: float, timeout_seconds: float) -> None:
        self.servers = nats_server_list(url)
        self.reconnect_seconds, self.timeout_seconds = reconnect_seconds, timeout_seconds
        self.client = Client()
        self.problem = "not connected yet"
        self.closing = False

    @property
    def connected(self) -> bool:
        return self.client.is_connected

    async def run(self, stop: asyncio.Event) -> None:
        """Connect, retrying forever; nats-py then reconnects by itself until `stop`."""
        connecting = asyncio.create_task(self._connect())
        try:
            await stop.wait()
        finally:
            self.closing = True
            connecting.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await connecting
            with contextlib.suppress(Exception):
                await self.client.close()

    async def _connect(self) -> None:
        await self.client.connect(
            servers=self.servers,
            name="recto-gateway",
            allow_reconnect=True,
            max_reconnect_attempts=-1,  # also retries the first connection, forever
            reconnect_time_wait=self.reconnect_seconds,  # type: ignore[arg-type]
            connect_timeout=self.timeout_seconds,  # type: ignore[arg-type]
            error_cb=self._on_error,
            disconnected_cb=self._on_disconnected,
            reconnected_cb=self._on_reconnected,
        )
        log.info("connected to NATS for readiness")

    async def _on_error(self, error: Exception) -> None:
        self.problem = describe(error)
        log.debug("NATS: %s", self.problem)

    async def _on_disconnected(self) -> None:
        if not self.closing:
            log.warning("lost the NATS connection; reconnecting")

    async def _on_reconnected(self) -> None:
        log.info("reconnected to NATS")

    async def jetstream_answers(self) -> str | None:
        """None when JetStream answers within the timeout, else why it does not."""
        try:
            with anyio.fail_after(self.timeout_seconds):
                await self.client.jetstream(timeout=self.timeout_seconds).account_info()
        except Exception as error:
            return describe(error)
        return None
