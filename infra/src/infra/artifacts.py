"""Content-addressed artifact storage: bytes are stored once under their sha256.

Events carry `ArtifactRef`s, never the bytes. Every service reaches artifacts through the
`ArtifactStore` interface only, never through a path: files here (the embedded default), an
S3-compatible object store in `infra.artifacts_s3` beyond one machine. Writes go to a temporary
file first and are renamed into place, so a reader never sees a half-written artifact and two
writers of the same content cannot corrupt each other.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Protocol

import anyio

from contracts import ArtifactRef

# Re-exported: the stores raise it and their callers catch it from here.
from contracts.errors import ArtifactNotFound as ArtifactNotFound

CHUNK = 1 << 20


class ArtifactStore(Protocol):
    def put(self, data: bytes, media_type: str) -> ArtifactRef: ...
    def put_stream(self, chunks: Iterable[bytes], media_type: str) -> ArtifactRef: ...
    def get(self, ref: ArtifactRef | str) -> bytes: ...
    def open_chunks(self, ref: ArtifactRef | str) -> Iterator[bytes]: ...
    def exists(self, ref: ArtifactRef | str) -> bool: ...
    def delete(self, ref: ArtifactRef | str) -> None:
        """Remove the artifact; removing one that is not there is no error."""

    def signed_url(self, ref: ArtifactRef, expires_in: timedelta) -> str | None:
        """A URL a client may fetch the artifact from directly, or None: stream it instead."""


def _digest(ref: ArtifactRef | str) -> str:
    return ref if isinstance(ref, str) else ref.sha256


def artifact_key(ref: ArtifactRef | str) -> str:
    """`ab/cd/<sha256>`: the same layout for files and object keys."""
    digest = _digest(ref)
    return f"{digest[:2]}/{digest[2:4]}/{digest}"


class FileArtifactStore:
    """Artifacts as files under `root/ab/cd/<sha256>`."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def path(self, ref: ArtifactRef | str) -> Path:
        return self.root / artifact_key(ref)

    def put(self, data: bytes, media_type: str) -> ArtifactRef:
        return self.put_stream([data], media_type)

    def put_stream(self, chunks: Iterable[bytes], media_type: str) -> ArtifactRef:
        hasher, size = hashlib.sha256(), 0
        fd, temporary = tempfile.mkstemp(dir=self.root, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in chunks:
                    hasher.update(chunk)
                    size += len(chunk)
                    out.write(chunk)
            ref = ArtifactRef(sha256=hasher.hexdigest(), media_type=media_type, bytes=size)
            final = self.path(ref)
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(temporary, final)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return ref

    def get(self, ref: ArtifactRef | str) -> bytes:
        try:
            return self.path(ref).read_bytes()
        except FileNotFoundError:
            raise ArtifactNotFound(f"no artifact {_digest(ref)}") from None

    def open_chunks(self, ref: ArtifactRef | str) -> Iterator[bytes]:
        try:
            handle = self.path(ref).open("rb")
        except FileNotFoundError:
            raise ArtifactNotFound(f"no artifact {_digest(ref)}") from None
        with handle:
            while chunk := handle.read(CHUNK):
                yield chunk

    def exists(self, ref: ArtifactRef | str) -> bool:
        return self.path(ref).is_file()

    def delete(self, ref: ArtifactRef | str) -> None:
        self.path(ref).unlink(missing_ok=True)

    def signed_url(self, ref: ArtifactRef, expires_in: timedelta) -> str | None:
        return None


class InMemoryArtifactStore:
    """The same contract in a dict, for fast unit tests."""

    def __init__(self) -> None:
        self._blobs: dict[str, bytes] = {}

    def put(self, data: bytes, media_type: str) -> ArtifactRef:
        ref = ArtifactRef(
            sha256=hashlib.sha256(data).hexdigest(), media_type=media_type, bytes=len(data)
        )
        self._blobs[ref.sha256] = data
        return ref

    def put_stream(self, chunks: Iterable[bytes], media_type: str) -> ArtifactRef:
        return self.put(b"".join(chunks), media_type)

    def get(self, ref: ArtifactRef | str) -> bytes:
        try:
            return self._blobs[_digest(ref)]
        except KeyError:
            raise ArtifactNotFound(f"no artifact {_digest(ref)}") from None

    def open_chunks(self, ref: ArtifactRef | str) -> Iterator[bytes]:
        data = self.get(ref)
        for start in range(0, len(data), CHUNK):
            yield data[start : start + CHUNK]

    def exists(self, ref: ArtifactRef | str) -> bool:
        return _digest(ref) in self._blobs

    def delete(self, ref: ArtifactRef | str) -> None:
        self._blobs.pop(_digest(ref), None)

    def signed_url(self, ref: ArtifactRef, expires_in: timedelta) -> str | None:
        return None


async def read_artifact(store: ArtifactStore, ref: ArtifactRef | str) -> bytes:
    """Read off the event loop: artifacts can be large images."""
    return await anyio.to_thread.run_sync(store.get, ref)


async def iterate_artifact(store: ArtifactStore, ref: ArtifactRef | str) -> AsyncIterator[bytes]:
    iterator = store.open_chunks(ref)
    sentinel = b""
    while chunk := await anyio.to_thread.run_sync(next, iterator, sentinel):
        yield chunk
