"""The in-memory twin of `HttpxFetcher`: canned responses by URL, same guard, same errors."""

from __future__ import annotations

from contracts.errors import FetchFailed, FetchTooLarge
from ingest.application.ports import Fetched
from ingest.domain.address_policy import AddressPolicy
from ingest.domain.image_sniffing import sniff_image_type


class InMemoryFetcher:
    def __init__(
        self, routes: dict[str, bytes | int] | None = None, policy: AddressPolicy | None = None
    ) -> None:
        """`routes` maps a URL to its body, or to an HTTP error status."""
        self.routes: dict[str, bytes | int] = dict(routes or {})
        self.policy = policy or AddressPolicy()
        self.requested: list[str] = []

    async def get(self, url: str, *, max_bytes: int | None = None) -> Fetched:
        self.policy.check_url(url)
        self.requested.append(url)
        response = self.routes.get(url, 404)
        if isinstance(response, int):
            raise FetchFailed(f"HTTP {response} from {url}", status=response)
        if max_bytes is not None and len(response) > max_bytes:
            raise FetchTooLarge(f"{url} sent more than the {max_bytes}-byte cap; abandoned")
        media_type = sniff_image_type(response[:32]) or "application/json"
        return Fetched(url, media_type, response)
