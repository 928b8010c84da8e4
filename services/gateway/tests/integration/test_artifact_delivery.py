"""Artifacts served from an S3 bucket (a real S3-protocol server on loopback): streamed through
the gateway, or a redirect to a presigned URL; files are always streamed."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from infra.artifact_stores import artifact_store
from infra.artifacts import ArtifactStore, FileArtifactStore
from infra.eventstore import PostgresEventStore
from infra.settings import Settings
from infra.testing.s3 import S3Server, moto_s3_server

from .conftest import Keys, ServedGateway
from .test_api_reads import exported_manuscript, wait_until

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def s3_server() -> Iterator[S3Server]:
    with moto_s3_server() as server:
        yield server


@pytest.fixture
def bucket_store(s3_server: S3Server, monkeypatch: pytest.MonkeyPatch) -> ArtifactStore:
    """A fresh bucket, and the environment that points every gateway started after at it."""
    environment = s3_server.environment(s3_server.create_bucket(), prefix="recto/")
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    return artifact_store(Settings())


def client_of(gateway: ServedGateway, keys: Keys) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=gateway.url, headers={"X-API-Key": keys.read})


async def exported_alto(
    client: httpx.AsyncClient, store: PostgresEventStore, kit: ModuleType, artifacts: Any
) -> tuple[str, bytes, str]:
    """A page exported with its artifacts in `artifacts`: its ALTO's path, bytes and sha256."""
    world = await exported_manuscript(store, kit, artifacts)
    await wait_until(client, f"/v1/manuscripts/{world['manuscript']}", "status", "exported")
    page_id = world["pages"][0]
    alto = world["exports"][page_id]["alto"]
    return f"/v1/pages/{page_id}/alto", artifacts.get(alto), alto.sha256


async def test_the_gateway_streams_from_the_bucket(
    start_gateway: Callable[..., ServedGateway],
    bucket_store: ArtifactStore,
    keys: Keys,
    event_store: PostgresEventStore,
    kit: ModuleType,
) -> None:
    gateway = start_gateway(artifact_delivery="stream")
    async with client_of(gateway, keys) as client:
        path, expected, digest = await exported_alto(client, event_store, kit, bucket_store)
        answer = await client.get(path)

    assert answer.status_code == 200
    assert answer.content == expected
    assert answer.headers["etag"] == f'"{digest}"'


async def test_the_gateway_redirects_to_a_presigned_url(
    start_gateway: Callable[..., ServedGateway],
    bucket_store: ArtifactStore,
    s3_server: S3Server,
    keys: Keys,
    event_store: PostgresEventStore,
    kit: ModuleType,
) -> None:
    gateway = start_gateway(artifact_delivery="redirect", artifact_url_seconds=60)
    async with client_of(gateway, keys) as client, httpx.AsyncClient() as anyone:
        path, expected, digest = await exported_alto(client, event_store, kit, bucket_store)
        answer = await client.get(path)
        fetched = await anyone.get(answer.headers.get("location", ""))
        unchanged = await client.get(path, headers={"If-None-Match": f'"{digest}"'})
        # Once the object is gone, the gateway says so instead of redirecting to nothing.
        bucket_store.delete(digest)
        missing = await client.get(path)

    assert answer.status_code == 307
    assert answer.headers["cache-control"] == "no-store"
    location = answer.headers["location"]
    assert location.startswith(s3_server.endpoint)
    assert "X-Amz-Expires=60" in location
    assert fetched.content == expected
    assert unchanged.status_code == 304
    assert missing.status_code == 404
    assert "missing" in missing.json()["detail"]


async def test_files_are_streamed_even_when_redirects_are_asked_for(
    start_gateway: Callable[..., ServedGateway],
    keys: Keys,
    event_store: PostgresEventStore,
    kit: ModuleType,
    tmp_path: Path,
) -> None:
    gateway = start_gateway(artifact_delivery="redirect")
    files = FileArtifactStore(tmp_path / "artifacts")
    async with client_of(gateway, keys) as client:
        path, expected, _ = await exported_alto(client, event_store, kit, files)
        answer = await client.get(path)

    assert answer.status_code == 200
    assert answer.content == expected
