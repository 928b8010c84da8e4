"""Which URLs and addresses Recto may fetch from: the SSRF guard's rules, without any I/O.

Only http(s) URLs whose addresses are globally routable pass, so private, loopback,
link-local (cloud metadata lives at 169.254.169.254), multicast, reserved and unspecified
addresses are refused, and so are the IPv4 addresses that IPv6 forms embed (IPv4-mapped,
IPv4-compatible, NAT64, 6to4), unless the operator allow-lists a host name or a network
(`RECTO_FETCH_ALLOW`).

`check_url` decides what can be decided from the URL alone: its scheme, a literal address
in any spelling (`0x7f000001`, `2130706433`, `0177.0.0.1`, `127.1`, `[::ffff:127.0.0.1]`)
and the names that always mean this machine (`localhost`, `*.localhost`). Every other host
name is left to `check_address` at connection time, where ingest resolves the name and checks
each address before connecting to that very address (no second lookup, no DNS-rebinding
window). The gateway therefore refuses at submission only what is forbidden whatever DNS
says, and never resolves names on its request path: an answer from DNS then would be stale by
the time ingest fetches anyway.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from pydantic_core import Url, ValidationError

from contracts.errors import FetchRefused

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

ALLOWED_SCHEMES = frozenset({"http", "https"})
# Metadata services that sit on otherwise "global" addresses (Alibaba, AWS IPv6, Oracle).
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a) for a in ("100.100.100.200", "fd00:ec2::254", "192.0.0.192")
)
METADATA_HOSTS = frozenset({"metadata.google.internal", "metadata.goog"})
# Names every resolver maps to this machine (RFC 6761 and Debian's /etc/hosts).
LOOPBACK_HOSTS = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})
LOOPBACK_ADDRESSES = (ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1"))
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


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
                hosts.add(_normal(item))
        return cls(frozenset(hosts), tuple(networks))

    def check_url(self, url: str) -> tuple[str, int]:
        """Refuse a URL whose scheme or literal host is never allowed; return (host, port).

        The host is read both as browsers and pydantic read it (WHATWG) and as `urllib` reads
        it; both readings must pass, so a URL that parsers disagree on cannot slip through.
        """
        try:
            parts = urlsplit(url)
        except ValueError as error:  # an unbalanced `[` in the host, say
            raise FetchRefused(f"not a valid URL ({error}): {url}") from None
        scheme = parts.scheme.lower()
        if scheme not in ALLOWED_SCHEMES:
            raise FetchRefused(f"scheme {parts.scheme or '(none)'!r} is not allowed: {url}")
        try:
            parsed = Url(url)
        except ValidationError as error:
            reason = "; ".join(e["msg"] for e in error.errors())
            raise FetchRefused(f"not a valid URL ({reason}): {url}") from None
        try:
            plain_port = parts.port
        except ValueError:
            raise FetchRefused(f"invalid port in {url}") from None
        hosts = [_normal(parsed.host or ""), _normal(unquote(parts.hostname or ""))]
        if not all(hosts):
            raise FetchRefused(f"no host in {url}")
        for host in dict.fromkeys(hosts):
            self.check_host(host)
        port = parsed.port or plain_port or (443 if scheme == "https" else 80)
        return hosts[0], port

    def check_host(self, host: str) -> None:
        """Refuse a host that is forbidden whatever DNS answers: a literal or a local name."""
        host = _normal(host)
        if host in self.allowed_hosts:
            return
        literal = literal_address(host)
        if literal is not None:
            self.check_address(host, literal)
        elif host in LOOPBACK_HOSTS or host.endswith(".localhost"):
            for address in LOOPBACK_ADDRESSES:
                self.check_address(host, address)
        elif host in METADATA_HOSTS:
            raise FetchRefused(f"{host} is a cloud metadata service")

    def check_address(self, host: str, address: IpAddress) -> None:
        """Refuse `address` (which `host` resolved to) unless it is public or allow-listed."""
        if _normal(host) in self.allowed_hosts:
            return
        views = [*_embedded_ipv4(address), address]  # the embedded one names the real target
        if any(view in network for view in views for network in self.allowed_networks):
            return
        for view in views:
            if view in METADATA_ADDRESSES:
                raise FetchRefused(_refusal(host, address, view, "cloud metadata"))
            if view.is_multicast or view.is_reserved or not view.is_global:
                raise FetchRefused(
                    _refusal(host, address, view, _kind(view)) + " (not allow-listed)"
                )


def literal_address(host: str) -> IpAddress | None:
    """The address a host spells literally (`[::1]`, `127.0.0.1`), or None for a name."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def _normal(host: str) -> str:
    return host.strip().lower().rstrip(".")


def _embedded_ipv4(address: IpAddress) -> list[ipaddress.IPv4Address]:
    """The IPv4 address an IPv6 one carries, where packets to it may reach that IPv4 host."""
    if isinstance(address, ipaddress.IPv4Address):
        return []
    if address.ipv4_mapped is not None:
        return [address.ipv4_mapped]
    if address.sixtofour is not None:
        return [address.sixtofour]
    packed = int(address)
    if address in _NAT64 or (packed >> 32 == 0 and packed > 1):  # NAT64, IPv4-compatible
        return [ipaddress.IPv4Address(packed & 0xFFFFFFFF)]
    return []


def _refusal(host: str, address: IpAddress, view: IpAddress, kind: str) -> str:
    """`the host is 10.0.0.7, a private address`, `a.example resolves to ::ffff:a00:7 (…`."""
    shown = f"{address} ({view})" if view != address else str(address)
    article = "an" if kind[0] in "aeiou" else "a"
    named = "the host is" if literal_address(host) == address else f"{_normal(host)} resolves to"
    return f"{named} {shown}, {article} {kind} address"


def _kind(address: IpAddress) -> str:
    for kind in ("loopback", "unspecified", "link_local", "multicast", "private", "reserved"):
        if getattr(address, f"is_{kind}"):
            return kind.replace("_", "-")
    return "non-global"
