"""`RECTO_NATS_URL` may name several servers of one cluster, comma-separated; nats-py and
faststream want them as a list, and fail over among them (and among the servers the cluster
tells them about) when one goes away."""

from __future__ import annotations

from infra.settings import Settings


def nats_server_list(url: str) -> list[str]:
    servers = [server.strip() for server in url.split(",") if server.strip()]
    if not servers:
        raise ValueError(f"no NATS server in {url!r}")
    return servers


def nats_servers(settings: Settings) -> list[str]:
    """The servers to hand to `nats.connect(servers=…)` or `NatsBroker(servers=…)`."""
    if not settings.nats_url:
        raise ValueError("RECTO_NATS_URL is not set")
    return nats_server_list(settings.nats_url)
