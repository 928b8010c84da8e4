"""Which addresses a fetch may reach: the SSRF guard's rules, without any I/O.

Only globally routable addresses pass, so private, loopback, link-local (cloud metadata
lives at 169.254.169.254), multicast, reserved and unspecified ones are refused, unless
the operator allow-lists a host name or a network (`RECTO_FETCH_ALLOW`).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from contracts.errors import FetchRefused

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

ALLOWED_SCHEMES = frozenset({"http", "https"})
# Metadata services that sit on otherwise "global" addresses (Alibaba, AWS IPv6, Oracle).
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a) for a in ("100.100.100.200", "fd00:ec2::254", "192.0.0.192")
)


@dataclass(frozen=True)
class AddressPolicy:
    allowed_hosts: frozenset[str] = frozenset()
    allowed_networks: tuple[IpNetwork, ...] = field(default_factory=tuple)

    @classmethod
    def from_allow_list(cls, allow: str) -> AddressPolicy:
        """Parse `host,10.0.0.0/8,127.0.0.1`: names are host names, the rest networks."""
        hosts: set[str] = set()
        networks: list[IpNetwork] = []
        for item in (part.strip() for part in allow.split(",")):
            if not item:
                continue
            try:
                networks.append(ipaddress.ip_network(item, strict=False))
            except ValueError:
                hosts.add(item.lower().rstrip("."))
        return cls(frozenset(hosts), tuple(networks))

    def check_url(self, url: str) -> tuple[str, int]:
        """Refuse a URL whose scheme or literal address is not allowed; return (host, port)."""
        parts = urlsplit(url)
        if parts.scheme.lower() not in ALLOWED_SCHEMES:
            raise FetchRefused(f"scheme {parts.scheme or '(none)'!r} is not allowed: {url}")
        host = (parts.hostname or "").lower().rstrip(".")
        if not host:
            raise FetchRefused(f"no host in {url}")
        try:
            port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
        except ValueError:
            raise FetchRefused(f"invalid port in {url}") from None
        literal = _as_address(host)
        if literal is not None:
            self.check_address(host, literal)
        return host, port

    def check_address(self, host: str, address: IpAddress) -> None:
        """Refuse `address` (which `host` resolved to) unless it is public or allow-listed."""
        if host.lower().rstrip(".") in self.allowed_hosts:
            return
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        if any(address in network for network in self.allowed_networks):
            return
        if address in METADATA_ADDRESSES:
            raise FetchRefused(f"{host} resolves to {address}, a cloud metadata address")
        if address.is_multicast or not address.is_global:
            raise FetchRefused(
                f"{host} resolves to {address}, a {_kind(address)} address (not allow-listed)"
            )


def _as_address(host: str) -> IpAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def _kind(address: IpAddress) -> str:
    for kind in ("loopback", "unspecified", "link_local", "multicast", "private", "reserved"):
        if getattr(address, f"is_{kind}"):
            return kind.replace("_", "-")
    return "non-global"
