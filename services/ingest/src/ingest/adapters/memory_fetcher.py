"""The in-memory twin of `HttpxFetcher`: canned responses by URL, same guard, same errors.

Each body gets an ETag from its digest, and a matching `If-None-Match` is answered 304, so
conditional re-reads behave as they do against a real server.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from contracts.errors import FetchFailed, FetchTooLarge
from infra.addresses import AddressPolicy
from ingest.application.ports import Fetched
from ingest.domain.image_sniffing import sniff_image_type


class InMemoryFetcher:
    def __init__(
        self, routes: dict[str, bytes | int] | None = None, policy: AddressPolicy | None = None
    ) -> None:
        """`routes` maps a URL to its body, or to an HTTP error status."""
        self.routes: dict[str, bytes | int] = dict(routes or {})
        self.policy = policy or AddressPolicy()
        self.requested: list[str] = []
        self.request_headers: list[dict[str, str]] = []

    async def get(
        self,
        url: str,
        *,
        max_bytes: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Fetched:
        self.policy.check_url(url)
        self.requested.append(url)
        asked = {name.lower(): value for name, value in (headers or {}).items()}
        self.request_headers.append(asked)
        response = self.routes.get(url, 404)
        if isinstance(response, int):
            raise FetchFailed(f"HTTP {response} from {url}", status=response)
        etag = f'"{hashlib.sha256(response).hexdigest()[:20]}"'
        if asked.get("if-none-match") == etag:
            return Fetched(url, None, b"", status=304, etag=etag)
        if max_bytes is not None and len(response) > max_bytes:
            raise FetchTooLarge(f"{url} sent more than the {max_bytes}-byte cap; abandoned")
        media_type = sniff_image_type(response[:32]) or "application/json"
        return Fetched(url, media_type, response, etag=etag)
