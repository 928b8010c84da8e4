"""What the ingest handlers need from the outside world, and their settings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from infra.artifacts import ArtifactStore
from infra.eventstore import EventStore, InMemoryEventStore
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


class ImportLimits(BaseSettings):
    """How much one import may bring in; past a limit the import fails, saying which."""

    model_config = SettingsConfigDict(env_prefix="RECTO_IMPORT_", extra="ignore", frozen=True)

    max_depth: int = Field(default=8, ge=0, description="collections nested below the first")
    max_documents: int = Field(
        default=1000, ge=1, description="manifests and collections fetched for one import"
    )
    max_pages: int = Field(default=20_000, ge=1, description="pages registered by one import")
    concurrency: int = Field(default=4, ge=1, description="member documents fetched at once")


@dataclass(frozen=True)
class IngestSettings:
    # Tesseract reads a page best at the resolution it was scanned at, and any resampling or
    # second JPEG generation moves its CER by points on some pages (ADR 0017): a page scan is
    # analyzed whole up to 5000 px (8 in at 600 ppi, 12 in at 400), only larger ones reduced.
    derivative_long_side: int = 5000
    thumbnail_size: int = 256
    max_manifest_bytes: int = 64 << 20
    max_pixels: int = 150_000_000
    pdf_max_pages: int = 2000
    pdf_default_dpi: float = 300.0
    pdf_refuse_embedded: bool = True
    limits: ImportLimits = field(default_factory=ImportLimits)


@dataclass(frozen=True)
class IngestPorts:
    fetcher: Fetcher
    image_info: ImageInfoSource
    artifacts: ArtifactStore
    settings: IngestSettings = field(default_factory=IngestSettings)
    events: EventStore = field(default_factory=InMemoryEventStore)
    """Read before each stage's work: the job's cancellation, what a stream already holds."""
