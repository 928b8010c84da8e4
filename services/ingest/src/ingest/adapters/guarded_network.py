"""An httpcore network backend that connects only to addresses the SSRF guard accepts.

The host is resolved here, every address it resolves to is checked, and the socket is
opened to the checked address itself: no second lookup, so no DNS-rebinding window.
TLS still verifies the certificate against the host name, which httpcore passes separately.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from typing import Any

import anyio
import httpcore
import httpx

from contracts.errors import FetchRefused
from infra.addresses import AddressPolicy


class GuardedNetworkBackend(httpcore.AsyncNetworkBackend):
    def __init__(self, policy: AddressPolicy) -> None:
        self._policy = policy
        self._backend = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        error: Exception | None = None
        for address in await self.resolve(host, port):
            try:
                return await self._backend.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except httpcore.ConnectError as failed:  # try the next checked address
                error = failed
        assert error is not None
        raise error

    async def resolve(self, host: str, port: int) -> list[str]:
        """Every address `host` resolves to, each one checked; refuse if any is forbidden."""
        try:
            infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as error:
            raise httpcore.ConnectError(f"cannot resolve {host}: {error}") from None
        addresses = [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]
        if not addresses:
            raise FetchRefused(f"{host} resolves to no address")
        for address in addresses:  # one bad address is enough to refuse: it may be chosen
            self._policy.check_address(host, address)
        return list(dict.fromkeys(str(address) for address in addresses))

    async def sleep(self, seconds: float) -> None:
        await self._backend.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's own transport, with its connection pool built on the guarded backend."""

    def __init__(self, policy: AddressPolicy, max_connections: int = 50) -> None:
        super().__init__(trust_env=False)
        # httpx offers no parameter for the network backend; replacing the pool keeps all of
        # httpx's request/response mapping while routing every connection through the guard.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            max_connections=max_connections,
            network_backend=GuardedNetworkBackend(policy),
        )
