"""A comma-separated RECTO_NATS_URL becomes the server list nats-py fails over among."""

from __future__ import annotations

import pytest

from infra.natsurls import nats_server_list, nats_servers
from infra.settings import Settings


def test_one_server_is_a_list_of_one() -> None:
    assert nats_servers(Settings(nats_url="nats://nats:4222")) == ["nats://nats:4222"]


def test_a_cluster_is_every_server_named_in_order() -> None:
    url = "nats://nats-0.nats:4222, nats://nats-1.nats:4222,nats://nats-2.nats:4222,"

    assert nats_server_list(url) == [
        "nats://nats-0.nats:4222",
        "nats://nats-1.nats:4222",
        "nats://nats-2.nats:4222",
    ]


@pytest.mark.parametrize("url", [None, " , "])
def test_no_server_is_an_error(url: str | None) -> None:
    with pytest.raises(ValueError, match="NATS"):
        nats_servers(Settings(nats_url=url))
