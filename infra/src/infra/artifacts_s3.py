"""Artifacts in an S3-compatible bucket (AWS S3, MinIO, Ceph RGW, Garage) through obstore.

Keys are content-addressed like the files of `FileArtifactStore` (`<prefix>ab/cd/<sha256>`), so
any replica on any machine reads what another wrote, and two writers of the same bytes write
the same object. obstore (Rust `object_store`) was chosen over s3fs on measured figures: see
ADR 0018. Its calls block and release the GIL; async callers go through a thread, as for files.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Iterable, Iterator
from datetime import timedelta
from typing import IO

import obstore
from obstore.exceptions import NotFoundError
from obstore.store import S3Store

from contracts import ArtifactRef
from infra.artifacts import CHUNK, ArtifactNotFound, artifact_key
from infra.settings import Settings

MISSING = (FileNotFoundError, NotFoundError)
"""obstore raises the builtin `FileNotFoundError` for a missing key on some calls (get, head)
and its own `NotFoundError` on others."""

SPOOL_IN_MEMORY = 8 * CHUNK
"""A streamed artifact up to this size is hashed in memory; a larger one spools to a temporary
file until its key (its sha256) is known, and the file is gone once the upload ends."""


class S3ArtifactStore:
    def __init__(self, store: S3Store, prefix: str = "") -> None:
        self.store, self.prefix = store, prefix

    @classmethod
    def from_settings(cls, settings: Settings) -> S3ArtifactStore:
        if not settings.s3_bucket:
            raise ValueError("RECTO_ARTIFACT_STORE=s3 needs RECTO_S3_BUCKET")
        secret = settings.s3_secret_access_key
        options = {
            "endpoint": settings.s3_endpoint,
            "region": settings.s3_region,
            "access_key_id": settings.s3_access_key_id,
            "secret_access_key": secret.get_secret_value() if secret else None,
        }
        store = S3Store(
            settings.s3_bucket,
            virtual_hosted_style_request=settings.s3_virtual_hosted,
            client_options={"allow_http": settings.s3_allow_http},
            # Unset options are left to the environment (AWS_* variables, web identity).
            **{name: value for name, value in options.items() if value is not None},  # type: ignore[arg-type]
        )
        return cls(store, settings.s3_prefix)

    def key(self, ref: ArtifactRef | str) -> str:
        return self.prefix + artifact_key(ref)

    def put(self, data: bytes, media_type: str) -> ArtifactRef:
        ref = ArtifactRef(
            sha256=hashlib.sha256(data).hexdigest(), media_type=media_type, bytes=len(data)
        )
        obstore.put(self.store, self.key(ref), data, attributes={"Content-Type": media_type})
        return ref

    def put_stream(self, chunks: Iterable[bytes], media_type: str) -> ArtifactRef:
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY) as spool:
            ref = _spool(chunks, media_type, spool)
            spool.seek(0)
            obstore.put(self.store, self.key(ref), spool, attributes={"Content-Type": media_type})
        return ref

    def get(self, ref: ArtifactRef | str) -> bytes:
        try:
            return bytes(obstore.get(self.store, self.key(ref)).bytes())
        except MISSING:
            raise ArtifactNotFound(f"no artifact {artifact_key(ref)}") from None

    def open_chunks(self, ref: ArtifactRef | str) -> Iterator[bytes]:
        try:
            result = obstore.get(self.store, self.key(ref))
        except MISSING:
            raise ArtifactNotFound(f"no artifact {artifact_key(ref)}") from None
        for chunk in result.stream(min_chunk_size=CHUNK):
            yield bytes(chunk)

    def exists(self, ref: ArtifactRef | str) -> bool:
        try:
            obstore.head(self.store, self.key(ref))
        except MISSING:
            return False
        return True

    def delete(self, ref: ArtifactRef | str) -> None:
        # S3 answers a DELETE of a missing key with success: no error to map.
        obstore.delete(self.store, self.key(ref))

    def signed_url(self, ref: ArtifactRef, expires_in: timedelta) -> str | None:
        return obstore.sign(self.store, "GET", self.key(ref), expires_in)


def _spool(chunks: Iterable[bytes], media_type: str, spool: IO[bytes]) -> ArtifactRef:
    hasher, size = hashlib.sha256(), 0
    for chunk in chunks:
        hasher.update(chunk)
        size += len(chunk)
        spool.write(chunk)
    return ArtifactRef(sha256=hasher.hexdigest(), media_type=media_type, bytes=size)
