"""Consumer lag read from JetStream: the durable consumers of the event stream, as KEDA's
`nats-jetstream` scaler sees them."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import nats
from nats.aio.client import Client
from nats.js.errors import NotFoundError

from contracts.subjects import events_stream
from gateway.application.consumer_lag import ConsumerLag, LagUnavailable
from infra.natsurls import nats_servers
from infra.settings import Settings


class JetStreamConsumers:
    """One NATS connection, opened at the first request and kept (it reconnects by itself)."""

    def __init__(self, settings: Settings, *, timeout: float = 5.0) -> None:
        self.settings, self.timeout = settings, timeout
        self._client: Client | None = None
        self._connecting = asyncio.Lock()

    async def _connected(self) -> Client:
        async with self._connecting:
            if self._client is None or self._client.is_closed:
                # nats-py retries a first connection for minutes: a request waits this long.
                self._client = await asyncio.wait_for(
                    nats.connect(nats_servers(self.settings), name="gateway-lag"), self.timeout
                )
            return self._client

    async def consumers(self) -> Sequence[ConsumerLag]:
        try:
            client = await self._connected()
            found = await asyncio.wait_for(
                client.jetstream().consumers_info(events_stream(self.settings.nats_prefix)),
                self.timeout,
            )
        except NotFoundError:
            return []  # no event stream yet (nothing has started): no consumer either
        except (nats.errors.Error, OSError, TimeoutError, ValueError) as error:
            raise LagUnavailable(f"JetStream did not answer: {type(error).__name__}") from error
        return sorted(
            (
                ConsumerLag(
                    name=info.name,
                    pending=info.num_pending or 0,
                    ack_pending=info.num_ack_pending or 0,
                    redelivered=info.num_redelivered or 0,
                    waiting=info.num_waiting or 0,
                )
                for info in found
            ),
            key=lambda lag: lag.name,
        )

    async def close(self) -> None:
        if self._client is not None and not self._client.is_closed:
            await self._client.close()
