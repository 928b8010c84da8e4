"""What the ingest handlers need from the outside world, and their settings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from infra.artifacts import ArtifactStore
from ingest.domain.image_request import ImageInfo


@dataclass(frozen=True)
class Fetched:
    url: str  # after redirects
    content_type: str | None
    body: bytes
    status: int = 200
    etag: str | None = None
    last_modified: str | None = None

    @property
    def not_modified(self) -> bool:
        """A conditional request answered 304: the body is empty, the cached copy stands."""
        return self.status == 304


class Fetcher(Protocol):
    async def get(
        self,
        url: str,
        *,
        max_bytes: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Fetched:
        """The body at `url`; `headers` go with every hop (e.g. If-None-Match)."""
        ...


class ImageInfoSource(Protocol):
    async def info(self, service_id: str, version: int) -> ImageInfo: ...


@dataclass(frozen=True)
class IngestSettings:
    derivative_long_side: int = 2400
    thumbnail_size: int = 256
    max_manifest_bytes: int = 64 << 20
    max_pixels: int = 150_000_000
    pdf_max_pages: int = 2000
    pdf_default_dpi: float = 300.0
    pdf_refuse_embedded: bool = True


@dataclass(frozen=True)
class IngestPorts:
    fetcher: Fetcher
    image_info: ImageInfoSource
    artifacts: ArtifactStore
    settings: IngestSettings = IngestSettings()
