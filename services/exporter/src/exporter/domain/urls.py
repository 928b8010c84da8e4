"""Where the gateway serves each export, so documents can link to each other."""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass, field
from uuid import UUID

from exporter.domain.formats import PageFormat
from exporter.domain.workspace import page_file, stage_file


@dataclass(frozen=True)
class GatewayUrls:
    base_url: str

    def _root(self) -> str:
        return self.base_url.rstrip("/")

    def page(self, page_id: UUID, fmt: PageFormat) -> str:
        return f"{self._root()}/v1/pages/{page_id}/{fmt.value}"

    def stage(self, page_id: UUID, fmt: PageFormat, slug: str) -> str:
        """A stage output's file in one of the formats that give each stage its own."""
        return f"{self.page(page_id, fmt)}/{slug}"

    def canvas(self, page_id: UUID) -> str:
        return f"{self._root()}/v1/pages/{page_id}/canvas"

    def page_image(self, page_id: UUID, variant: str) -> str:
        """One of the images ingest stored: `master`, `derivative` or `thumbnail`."""
        return f"{self._root()}/v1/pages/{page_id}/image/{variant}"

    def manifest(self, manuscript_id: UUID) -> str:
        return f"{self._root()}/v1/manuscripts/{manuscript_id}/iiif-manifest"

    def mets(self, manuscript_id: UUID) -> str:
        return f"{self._root()}/v1/manuscripts/{manuscript_id}/mets"

    def search(self, manuscript_id: UUID, version: int = 2) -> str:
        suffix = "" if version == 2 else "/v1"
        return f"{self._root()}/v1/manuscripts/{manuscript_id}/search{suffix}"

    def autocomplete(self, manuscript_id: UUID, version: int = 2) -> str:
        suffix = "" if version == 2 else "/v1"
        return f"{self._root()}/v1/manuscripts/{manuscript_id}/autocomplete{suffix}"

    def bundle(self, manuscript_id: UUID) -> str:
        return f"{self._root()}/v1/manuscripts/{manuscript_id}/bundle.zip"

    def local_image(self, page_id: UUID) -> tuple[str, str] | None:
        """(path, media type) of a page image shipped beside the document; none when served."""
        return None


@dataclass(frozen=True)
class BundleUrls(GatewayUrls):
    """Inside a bundle, a file of the bundle is named by its path relative to the bundle's
    root (where `manifest.json` and `mets.xml` lie); identities (canvases) stay the gateway's.

    `numbers` (page id -> page number) and `images` (page id -> path, media type) are filled
    as the bundle's pages are written.
    """

    numbers: MutableMapping[UUID, int] = field(default_factory=dict)
    images: MutableMapping[UUID, tuple[str, str]] = field(default_factory=dict)

    def page(self, page_id: UUID, fmt: PageFormat) -> str:
        return page_file(fmt, self.numbers[page_id])

    def stage(self, page_id: UUID, fmt: PageFormat, slug: str) -> str:
        return stage_file(fmt, self.numbers[page_id], slug)

    def manifest(self, manuscript_id: UUID) -> str:
        return "manifest.json"

    def mets(self, manuscript_id: UUID) -> str:
        return "mets.xml"

    def local_image(self, page_id: UUID) -> tuple[str, str] | None:
        return self.images.get(page_id)
