"""One contract for every artifact store: files, memory, and an S3 bucket on a real S3-protocol
server (moto's standalone server on loopback), written, read, streamed, signed and deleted."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from contracts import ArtifactRef
from infra.artifact_stores import artifact_store
from infra.artifacts import (
    ArtifactNotFound,
    ArtifactStore,
    FileArtifactStore,
    InMemoryArtifactStore,
    iterate_artifact,
    read_artifact,
)
from infra.artifacts_s3 import SPOOL_IN_MEMORY, S3ArtifactStore
from infra.settings import Settings
from infra.testing.s3 import S3Server, moto_s3_server

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def s3_server() -> Iterator[S3Server]:
    with moto_s3_server() as server:
        yield server


def s3_store(server: S3Server, prefix: str = "recto/") -> S3ArtifactStore:
    bucket = server.create_bucket()
    store = artifact_store(Settings(**_settings(server.environment(bucket, prefix))))
    assert isinstance(store, S3ArtifactStore)
    return store


def _settings(environment: dict[str, str]) -> dict[str, str]:
    return {name.removeprefix("RECTO_").lower(): value for name, value in environment.items()}


@pytest.fixture(params=["file", "memory", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> ArtifactStore:
    if request.param == "file":
        return FileArtifactStore(tmp_path / "artifacts")
    if request.param == "memory":
        return InMemoryArtifactStore()
    return s3_store(request.getfixturevalue("s3_server"))


def test_an_artifact_is_stored_once_under_its_sha256(store: ArtifactStore) -> None:
    data = b"<alto/>" * 100

    first = store.put(data, "application/xml")
    second = store.put(data, "application/xml")

    digest = hashlib.sha256(data).hexdigest()
    assert (
        first == second == ArtifactRef(sha256=digest, media_type="application/xml", bytes=len(data))
    )
    assert store.exists(first)
    assert store.get(first) == data
    assert store.get(first.sha256) == data


def test_a_streamed_artifact_reads_back_in_chunks(store: ArtifactStore) -> None:
    # Larger than what is hashed in memory: the S3 store spools it, then uploads in parts.
    data = os.urandom(SPOOL_IN_MEMORY + 1_000_003)
    pieces = [data[i : i + 65_536] for i in range(0, len(data), 65_536)]

    ref = store.put_stream(iter(pieces), "application/zip")

    assert ref.bytes == len(data)
    assert ref.sha256 == hashlib.sha256(data).hexdigest()
    chunks = list(store.open_chunks(ref))
    assert b"".join(chunks) == data
    assert max(len(chunk) for chunk in chunks) <= 2 * (1 << 20)


async def test_async_readers_go_through_the_store(store: ArtifactStore) -> None:
    ref = store.put(b"page image bytes", "image/jpeg")

    assert await read_artifact(store, ref) == b"page image bytes"
    assert b"".join([chunk async for chunk in iterate_artifact(store, ref)]) == b"page image bytes"


def test_a_deleted_artifact_is_gone_and_deleting_again_is_no_error(store: ArtifactStore) -> None:
    kept = store.put(b"kept", "text/plain")
    ref = store.put(b"short-lived", "text/plain")

    store.delete(ref)
    store.delete(ref)

    assert not store.exists(ref)
    assert store.get(kept) == b"kept"
    with pytest.raises(ArtifactNotFound):
        store.get(ref)
    with pytest.raises(ArtifactNotFound):
        list(store.open_chunks(ref))


def test_an_unknown_artifact_is_not_found(store: ArtifactStore) -> None:
    missing = "0" * 64

    assert not store.exists(missing)
    with pytest.raises(ArtifactNotFound):
        store.get(missing)


def test_only_an_object_store_signs_urls(store: ArtifactStore, tmp_path: Path) -> None:
    ref = store.put(b"x", "text/plain")

    url = store.signed_url(ref, timedelta(minutes=5))

    assert (url is not None) == isinstance(store, S3ArtifactStore)


def test_a_presigned_url_serves_the_bytes_with_their_media_type(s3_server: S3Server) -> None:
    store = s3_store(s3_server)
    ref = store.put(b'{"type": "Manifest"}', "application/ld+json")

    url = store.signed_url(ref, timedelta(minutes=5))
    assert url is not None
    response = httpx.get(url)

    assert response.status_code == 200
    assert response.content == b'{"type": "Manifest"}'
    assert response.headers["content-type"] == "application/ld+json"


def test_keys_are_content_addressed_under_the_prefix(s3_server: S3Server) -> None:
    store = s3_store(s3_server, prefix="tenant-a/")
    ref = store.put(b"abc", "text/plain")
    digest = ref.sha256

    assert store.key(ref) == f"tenant-a/{digest[:2]}/{digest[2:4]}/{digest}"
    # Another store on the same bucket without the prefix does not see it.
    other = S3ArtifactStore(store.store)
    assert not other.exists(ref)


def test_the_s3_store_needs_a_bucket() -> None:
    with pytest.raises(ValueError, match="RECTO_S3_BUCKET"):
        artifact_store(Settings(artifact_store="s3"))


def test_files_remain_the_default(tmp_path: Path) -> None:
    assert isinstance(artifact_store(Settings(artifacts=tmp_path)), FileArtifactStore)
