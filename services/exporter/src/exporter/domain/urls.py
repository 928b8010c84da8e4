"""Where the gateway serves each export, so documents can link to each other."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from exporter.domain.formats import PageFormat


@dataclass(frozen=True)
class GatewayUrls:
    base_url: str

    def _root(self) -> str:
        return self.base_url.rstrip("/")

    def page(self, page_id: UUID, fmt: PageFormat) -> str:
        return f"{self._root()}/v1/pages/{page_id}/{fmt.value}"

    def canvas(self, page_id: UUID) -> str:
        return f"{self._root()}/v1/pages/{page_id}/canvas"

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
