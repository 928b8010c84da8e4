"""How every Recto process connects to NATS: reconnect forever, with capped jittered waits.

nats-py gives up after 60 attempts 2 s apart by default, then closes the connection for good
while the process lives on, consuming nothing. Here reconnection never stops, waits double
from `nats_reconnect_wait_seconds` up to `nats_reconnect_wait_max_seconds` with jitter (so a
fleet of replicas does not knock in lockstep), and a connection that closes anyway (closed
by hand, or refused for good by the server) ends the process with an error, for its
supervisor to restart it.

No finite reconnect budget is offered: on a closed connection faststream 0.7's pull loop
spins without yielding and starves the event loop. Should that ever happen, the process's
health file goes stale and its health check fails, which is the supervisor's cue.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import nats.errors
from nats.aio.client import Client, Server

from infra.messaging.backoff import Backoff
from infra.settings import Settings

log = logging.getLogger(__name__)

ReconnectHandler = Callable[[list[Server], dict[str, Any]], tuple[Server | None, float]]


class ConnectionClosedForGood(ConnectionError):
    """The NATS connection closed although it should reconnect forever: the process ends with
    this error (a non-zero status) for its supervisor to restart it."""


def jittered_reconnect(backoff: Backoff) -> ReconnectHandler:
    """nats-py's hook before each reconnection attempt: which server, after how long."""

    def next_server(servers: list[Server], _info: dict[str, Any]) -> tuple[Server | None, float]:
        server = min(servers, key=lambda s: s.reconnects)
        # nats-py counts attempts from the last success, so each outage starts with short waits.
        return server, backoff.delay(server.reconnects)

    return next_server


def nats_options(
    settings: Settings, on_closed: Callable[[], Awaitable[None]] | None = None
) -> dict[str, Any]:
    """Keyword arguments for `nats.connect` and faststream's `NatsBroker`."""
    backoff = Backoff(
        settings.nats_reconnect_wait_seconds, settings.nats_reconnect_wait_max_seconds
    )
    options: dict[str, Any] = {
        "allow_reconnect": True,
        "max_reconnect_attempts": -1,
        # Used only by the first connection: later attempts are paced by the handler.
        "reconnect_time_wait": settings.nats_reconnect_wait_seconds,
        "reconnect_to_server_handler": jittered_reconnect(backoff),
        "ping_interval": settings.nats_ping_interval_seconds,
        "max_outstanding_pings": 2,
    }
    if on_closed is not None:
        options["closed_cb"] = on_closed
    return options


async def until_stopped_or_closed(
    stop: asyncio.Event, closed: asyncio.Event, client: Client, *, every: float = 1.0
) -> bool:
    """Wait until the process is told to stop or its connection closes; True when it closed.

    `closed` is set by the connection's `closed_cb`; the state is polled as well, since
    nats-py can end up closed without calling it (closing from its own reconnect task).
    """
    while not (stop.is_set() or closed.is_set() or client.is_closed):
        waits = [asyncio.create_task(stop.wait()), asyncio.create_task(closed.wait())]
        try:
            await asyncio.wait(waits, timeout=every, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for wait in waits:
                wait.cancel()
    if stop.is_set():
        return False
    log.error("the NATS connection closed for good: exiting for a restart")
    return True


async def close_connection(client: Client) -> None:
    """Drain a live connection; close one that is reconnecting, which cannot be drained."""
    if client.is_connected:
        try:
            await client.drain()
        except nats.errors.Error as error:
            log.warning("draining the NATS connection failed", extra={"error": repr(error)})
    if not client.is_closed:
        await client.close()
