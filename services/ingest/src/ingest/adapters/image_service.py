"""Image API `info.json` documents, fetched once per service and kept in a bounded cache."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import replace

from ingest.application.ports import Fetcher
from ingest.domain.image_request import ImageInfo
from ingest.formats.iiif.image_info import parse_image_info

INFO_MAX_BYTES = 1 << 20


class CachedImageInfo:
    def __init__(self, fetcher: Fetcher, capacity: int = 4096) -> None:
        self._fetcher = fetcher
        self._capacity = capacity
        self._cache: OrderedDict[str, ImageInfo] = OrderedDict()
        self.fetches = 0

    async def info(self, service_id: str, version: int) -> ImageInfo:
        if (cached := self._cache.get(service_id)) is not None:
            self._cache.move_to_end(service_id)
            return cached
        self.fetches += 1
        fetched = await self._fetcher.get(
            f"{service_id.rstrip('/')}/info.json", max_bytes=INFO_MAX_BYTES
        )
        # Build requests on the id the manifest gave: servers behind proxies often report an
        # internal id (another host, http for https) in their info.json.
        info = replace(parse_image_info(fetched.body, fallback_version=version), id=service_id)
        self._cache[service_id] = info
        if len(self._cache) > self._capacity:
            self._cache.popitem(last=False)
        return info
