"""The SSRF guard's rules: schemes, literal addresses in every spelling, names, the allow-list."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contracts.errors import FetchRefused
from infra.addresses import AddressPolicy

GUARD = AddressPolicy()
FORBIDDEN_V4 = [
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "224.0.0.0/4",
        "240.0.0.0/4",
    )
]


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("file:///etc/passwd", "scheme 'file'"),
        ("ftp://example.org/x", "scheme 'ftp'"),
        ("gopher://example.org/", "scheme 'gopher'"),
        ("http://127.0.0.1:8080/x", "loopback"),
        ("http://[::1]/x", "loopback"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://10.1.2.3/", "private"),
        ("http://192.168.0.1/", "private"),
        ("http://172.16.5.4/", "private"),
        ("http://0.0.0.0/", "unspecified"),
        ("http://0/", "unspecified"),
        ("http://[::]/", "unspecified"),
        ("http://224.0.0.1/", "multicast"),
        ("http://100.100.100.200/", "metadata"),
        ("http://[::ffff:127.0.0.1]/", "loopback"),
        ("http:///nohost", "no host"),
        # IPv4 in the spellings inet_aton and browsers accept.
        ("http://0x7f000001/", "127.0.0.1, a loopback"),
        ("http://2130706433/", "127.0.0.1, a loopback"),
        ("http://0177.0.0.1/", "127.0.0.1, a loopback"),
        ("http://127.1/", "127.0.0.1, a loopback"),
        ("http://0xa9.0xfe.0xa9.0xfe/", "169.254.169.254, a link-local"),
        ("http://%31%30.0.0.1/", "10.0.0.1, a private"),
        # IPv6 forms that carry an IPv4 address.
        ("http://[::ffff:a9fe:a9fe]/", r"\(169.254.169.254\), a link-local"),
        ("http://[::7f00:1]/", r"\(127.0.0.1\), a loopback"),
        ("http://[64:ff9b::a00:1]/", r"\(10.0.0.1\), a private"),
        ("http://[2002:c0a8:1::]/", r"\(192.168.0.1\), a private"),
        # Names that mean this machine or a metadata service whatever DNS says.
        ("http://localhost/", "localhost resolves to 127.0.0.1, a loopback"),
        ("http://LOCALHOST.:8000/", "localhost resolves to"),
        ("http://api.localhost/", "api.localhost resolves to"),
        ("http://metadata.google.internal/", "metadata service"),
        # Parsers that disagree: urllib reads 127.0.0.1 after the `@`, browsers read `a`.
        ("http://a\\@127.0.0.1/", "127.0.0.1, a loopback"),
        ("http://[::1]:99999/", "invalid port"),
        ("http://foo.123/", "not a valid URL"),
    ],
)
def test_refuses_before_any_connection(url: str, reason: str) -> None:
    with pytest.raises(FetchRefused, match=reason):
        GUARD.check_url(url)


def test_public_literal_and_names_pass_the_url_check() -> None:
    assert GUARD.check_url("https://93.184.215.14/a") == ("93.184.215.14", 443)
    assert GUARD.check_url("http://iiif.example.org:8182/x") == ("iiif.example.org", 8182)
    assert GUARD.check_url("http://Example.ORG./x") == ("example.org", 80)


def test_resolved_private_address_is_refused_for_a_public_name() -> None:
    with pytest.raises(FetchRefused, match=r"rebind\.example resolves to 10\.0\.0\.7"):
        GUARD.check_address("rebind.example", ipaddress.ip_address("10.0.0.7"))


def test_allow_list_admits_networks_and_host_names_only() -> None:
    policy = AddressPolicy.from_allow_list(" 127.0.0.0/8, images.internal ,, 10.1.0.0/16")
    policy.check_url("http://127.0.0.1:9000/")
    policy.check_url("http://0x7f000001:9000/")
    policy.check_url("http://[::ffff:127.0.0.1]:9000/")
    policy.check_address("images.internal", ipaddress.ip_address("192.168.1.9"))
    policy.check_address("x", ipaddress.ip_address("10.1.200.3"))
    with pytest.raises(FetchRefused):
        policy.check_address("x", ipaddress.ip_address("10.2.0.1"))
    with pytest.raises(FetchRefused):
        policy.check_url("http://169.254.169.254/")
    with pytest.raises(FetchRefused, match="scheme"):
        policy.check_url("file:///127.0.0.1")


def test_localhost_passes_when_named_or_when_both_loopback_addresses_are_allowed() -> None:
    # As at resolution time, where `localhost` gives 127.0.0.1 and ::1 and each is checked.
    with pytest.raises(FetchRefused, match="::1"):
        AddressPolicy.from_allow_list("127.0.0.1").check_url("http://localhost:8000/")
    AddressPolicy.from_allow_list("127.0.0.1,::1").check_url("http://localhost:8000/")
    AddressPolicy.from_allow_list("localhost").check_url("http://localhost:8000/")


def _forbidden_v4() -> st.SearchStrategy[ipaddress.IPv4Address]:
    return st.sampled_from(FORBIDDEN_V4).flatmap(
        lambda network: st.integers(0, network.num_addresses - 1).map(
            lambda offset: network.network_address + offset
        )
    )


def _spellings(address: ipaddress.IPv4Address) -> list[str]:
    value, octets = int(address), address.packed
    return [
        str(address),
        str(value),
        hex(value),
        ".".join(f"0{b:o}" for b in octets),
        ".".join(hex(b) for b in octets),
        f"{octets[0]}.{int.from_bytes(octets[1:], 'big')}",
        f"[::ffff:{address}]",
        f"[::ffff:{value >> 16:x}:{value & 0xFFFF:x}]",
        f"[64:ff9b::{address}]",
        f"[2002:{value >> 16:x}:{value & 0xFFFF:x}::1]",
    ]


@given(_forbidden_v4(), st.sampled_from(["http", "https", "HTTP"]), st.integers(1, 65535))
def test_every_spelling_of_a_forbidden_ipv4_address_is_refused(
    address: ipaddress.IPv4Address, scheme: str, port: int
) -> None:
    for host in _spellings(address):
        with pytest.raises(FetchRefused):
            GUARD.check_url(f"{scheme}://{host}:{port}/manifest.json")


@given(_forbidden_v4())
def test_an_allow_listed_network_admits_its_addresses_in_every_spelling(
    address: ipaddress.IPv4Address,
) -> None:
    policy = AddressPolicy.from_allow_list(f"{address}/32")
    for host in _spellings(address)[:7]:  # the IPv4 ones and the IPv4-mapped form
        assert policy.check_url(f"http://{host}/")[1] == 80


@given(st.ip_addresses(v=4))
def test_a_literal_passes_exactly_when_the_address_is_global(
    address: ipaddress.IPv4Address,
) -> None:
    metadata = address == ipaddress.ip_address("100.100.100.200")
    if address.is_global and not address.is_multicast and not metadata:
        assert GUARD.check_url(f"http://{address}/") == (str(address), 80)
    else:
        with pytest.raises(FetchRefused):
            GUARD.check_url(f"http://{address}/")


@given(st.text(max_size=40))
def test_any_text_after_the_scheme_is_either_checked_or_refused(tail: str) -> None:
    try:
        host, port = GUARD.check_url(f"http://{tail}")
    except FetchRefused:
        return
    assert host
    assert 0 <= port <= 65535
