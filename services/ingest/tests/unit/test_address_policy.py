"""The SSRF guard's rules: schemes, literal addresses, resolved addresses, the allow-list."""

from __future__ import annotations

import ipaddress

import pytest

from contracts.errors import FetchRefused
from ingest.domain.address_policy import AddressPolicy

GUARD = AddressPolicy()


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
        ("http://224.0.0.1/", "multicast"),
        ("http://100.100.100.200/", "metadata"),
        ("http://[::ffff:127.0.0.1]/", "loopback"),
        ("http:///nohost", "no host"),
    ],
)
def test_refuses_before_any_connection(url: str, reason: str) -> None:
    with pytest.raises(FetchRefused, match=reason):
        GUARD.check_url(url)


def test_public_literal_and_names_pass_the_url_check() -> None:
    assert GUARD.check_url("https://93.184.215.14/a") == ("93.184.215.14", 443)
    assert GUARD.check_url("http://iiif.example.org:8182/x") == ("iiif.example.org", 8182)


def test_resolved_private_address_is_refused_for_a_public_name() -> None:
    with pytest.raises(FetchRefused, match=r"rebind\.example resolves to 10\.0\.0\.7"):
        GUARD.check_address("rebind.example", ipaddress.ip_address("10.0.0.7"))


def test_allow_list_admits_networks_and_host_names_only() -> None:
    policy = AddressPolicy.from_allow_list(" 127.0.0.0/8, images.internal ,, 10.1.0.0/16")
    policy.check_url("http://127.0.0.1:9000/")
    policy.check_address("images.internal", ipaddress.ip_address("192.168.1.9"))
    policy.check_address("x", ipaddress.ip_address("10.1.200.3"))
    with pytest.raises(FetchRefused):
        policy.check_address("x", ipaddress.ip_address("10.2.0.1"))
    with pytest.raises(FetchRefused):
        policy.check_url("http://169.254.169.254/")
    with pytest.raises(FetchRefused, match="scheme"):
        policy.check_url("file:///127.0.0.1")
