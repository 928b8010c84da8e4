"""Fetching manifests, info.json and images over HTTP, defensively.

Every hop of a redirect chain is checked by the SSRF guard before it is requested; transient
failures (429, 5xx, transport errors) are retried a bounded number of times with exponential
backoff that honours `Retry-After`; each host gets a bounded number of concurrent requests;
bodies are streamed and abandoned as soon as they pass the size cap.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urljoin

import anyio
import httpx

from contracts.errors import FetchFailed, FetchTooLarge
from infra.addresses import AddressPolicy
from ingest.adapters.guarded_network import GuardedTransport
from ingest.application.ports import Fetched

RETRYABLE_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


@dataclass(frozen=True)
class FetchSettings:
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    attempt_deadline: float = 300.0  # a server trickling bytes must not hold a worker forever
    retries: int = 3
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    per_host: int = 4
    max_bytes: int = 256 << 20
    max_redirects: int = 5
    user_agent: str = "Recto-ingest/0.1 (+https://github.com/recto)"


class HttpxFetcher:
    def __init__(self, policy: AddressPolicy, settings: FetchSettings | None = None) -> None:
        self.policy = policy
        self.settings = settings or FetchSettings()
        s = self.settings
        self._client = httpx.AsyncClient(
            transport=GuardedTransport(policy),
            timeout=httpx.Timeout(s.read_timeout, connect=s.connect_timeout),
            follow_redirects=False,
            headers={"User-Agent": s.user_agent},
            trust_env=False,
        )
        self._host_slots: dict[str, anyio.Semaphore] = {}

    async def aclose(self) -> None:
        await self._client.aclose()

    async def get(
        self,
        url: str,
        *,
        max_bytes: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Fetched:
        cap = min(max_bytes or self.settings.max_bytes, self.settings.max_bytes)
        for _ in range(self.settings.max_redirects + 1):
            host, _port = self.policy.check_url(url)
            slots = self._host_slots.setdefault(host, anyio.Semaphore(self.settings.per_host))
            async with slots:
                result = await self._get_with_retries(url, cap, headers or {})
            if isinstance(result, Fetched):
                return result
            url = result
        raise FetchFailed(f"more than {self.settings.max_redirects} redirects from {url}")

    async def _get_with_retries(
        self, url: str, cap: int, headers: Mapping[str, str]
    ) -> Fetched | str:
        """The body, or the URL a redirect points to."""
        attempts = self.settings.retries + 1
        for attempt in range(1, attempts + 1):
            try:
                with anyio.fail_after(self.settings.attempt_deadline):
                    outcome = await self._attempt(url, cap, headers, attempt, attempts)
            except (httpx.TransportError, TimeoutError) as error:
                if attempt < attempts:
                    await anyio.sleep(self._delay(attempt, None))
                    continue
                raise FetchFailed(
                    f"{type(error).__name__} fetching {url} after {attempt} attempts: {error}",
                    retryable=True,
                ) from None
            if isinstance(outcome, float):
                await anyio.sleep(outcome)
                continue
            return outcome
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def _attempt(
        self, url: str, cap: int, headers: Mapping[str, str], attempt: int, attempts: int
    ) -> Fetched | str | float:
        """One request: the body, a redirect target, or how long to wait before retrying."""
        async with self._client.stream("GET", url, headers=headers) as response:
            if response.status_code in REDIRECT_STATUSES:
                location = response.headers.get("location")
                if not location:
                    raise FetchFailed(f"redirect without Location from {url}")
                return str(urljoin(url, location))
            if response.status_code in RETRYABLE_STATUSES and attempt < attempts:
                return self._delay(attempt, response)
            if response.status_code >= 400:
                raise FetchFailed(
                    f"HTTP {response.status_code} from {url}"
                    + (f" after {attempt} attempts" if attempt > 1 else ""),
                    status=response.status_code,
                    retryable=response.status_code in RETRYABLE_STATUSES,
                )
            body = await _read_capped(response, cap, url)
            return Fetched(
                str(response.url),
                response.headers.get("content-type"),
                body,
                status=response.status_code,
                etag=response.headers.get("etag"),
                last_modified=response.headers.get("last-modified"),
            )

    def _delay(self, attempt: int, response: httpx.Response | None) -> float:
        delay: float = self.settings.backoff_base * 2.0 ** (attempt - 1)
        if response is not None and (asked := retry_after(response.headers.get("retry-after"))):
            delay = asked
        return float(min(delay, self.settings.backoff_max))


async def _read_capped(response: httpx.Response, cap: int, url: str) -> bytes:
    declared = response.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > cap:
        raise FetchTooLarge(f"{url} declares {int(declared)} bytes, over the {cap}-byte cap")
    chunks, size = [], 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > cap:
            raise FetchTooLarge(f"{url} sent more than the {cap}-byte cap; abandoned")
        chunks.append(chunk)
    return b"".join(chunks)


def retry_after(value: str | None) -> float | None:
    """Seconds to wait from a `Retry-After` header: a number of seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - time.time())
