"""A small client of the gateway's HTTP API, for the command line."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import httpx

from contracts import Plan


class GatewayError(Exception):
    """A problem answer (RFC 9457) from the gateway, with its title and detail."""


class GatewayClient:
    def __init__(self, base_url: str, api_key: str | None = None) -> None:
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.base_url = base_url.rstrip("/")
        self.http = httpx.Client(base_url=f"{self.base_url}/v1", headers=headers, timeout=30.0)
        self.api_key = api_key

    def close(self) -> None:
        self.http.close()

    def _json(self, response: httpx.Response) -> Any:
        if response.is_error:
            try:
                problem = response.json()
                message = f"{problem.get('title')}: {problem.get('detail')}"
                for error in problem.get("errors") or ():
                    message += (
                        f"\n  {error.get('msg', error) if isinstance(error, dict) else error}"
                    )
            except ValueError:
                message = response.text
            raise GatewayError(f"{response.request.method} {response.url.path}: {message}")
        return response.json()

    def corpus_by_slug(self, slug: str) -> dict[str, Any] | None:
        offset = 0
        while True:
            listing = self._json(self.http.get("/corpora", params={"offset": offset, "limit": 100}))
            found = next((c for c in listing["items"] if c["slug"] == slug), None)
            offset += len(listing["items"])
            if found is not None or not listing["items"] or offset >= listing["total"]:
                return found

    def ensure_corpus(self, slug: str, title: str, profile: str = "default") -> str:
        existing = self.corpus_by_slug(slug)
        if existing is not None:
            return str(existing["id"])
        body = {"slug": slug, "title": title, "profile": profile}
        return str(self._json(self.http.post("/corpora", json=body))["id"])

    def import_manifest(self, corpus_id: str, url: str, plan: Plan) -> dict[str, Any]:
        body = {"source": {"kind": "iiif", "url": url}, "plan": plan.model_dump(mode="json")}
        accepted: dict[str, Any] = self._json(
            self.http.post(f"/corpora/{corpus_id}/imports", json=body)
        )
        return accepted

    def upload_images(
        self, corpus_id: str, images: list[Path], label: str, plan: Plan | None = None
    ) -> dict[str, Any]:
        """Upload images as one manuscript; the gateway streams them to its artifact store."""
        with contextlib.ExitStack() as stack:
            files = [
                (
                    "files",
                    (image.name, stack.enter_context(image.open("rb")), "application/octet-stream"),
                )
                for image in images
            ]
            fields: dict[str, Any] = {"label": label, "labels": [image.stem for image in images]}
            if plan is not None:
                fields["plan"] = plan.model_dump_json()
            response = self.http.post(
                f"/corpora/{corpus_id}/uploads", files=files, data=fields, timeout=300.0
            )
        accepted: dict[str, Any] = self._json(response)
        return accepted

    def job(self, job_id: str) -> dict[str, Any]:
        found: dict[str, Any] = self._json(self.http.get(f"/jobs/{job_id}"))
        return found

    def manuscript(self, manuscript_id: str) -> dict[str, Any]:
        found: dict[str, Any] = self._json(self.http.get(f"/manuscripts/{manuscript_id}"))
        return found

    def pages(self, manuscript_id: str) -> list[dict[str, Any]]:
        pages: list[dict[str, Any]] = []
        while True:
            listing = self._json(
                self.http.get(
                    f"/manuscripts/{manuscript_id}/pages",
                    params={"offset": len(pages), "limit": 100},
                )
            )
            pages += listing["items"]
            if not listing["items"] or len(pages) >= listing["total"]:
                return pages

    def create_key(
        self,
        name: str,
        scopes: list[str],
        corpora: list[str] | None = None,
        expires_at: str | None = None,
    ) -> dict[str, Any]:
        body = {"name": name, "scopes": scopes, "corpora": corpora, "expires_at": expires_at}
        created: dict[str, Any] = self._json(self.http.post("/keys", json=body))
        return created

    def keys(self) -> list[dict[str, Any]]:
        listing: list[dict[str, Any]] = self._json(self.http.get("/keys"))["items"]
        return listing

    def revoke_key(self, key_id: str, reason: str | None = None) -> dict[str, Any]:
        params = {"reason": reason} if reason else {}
        revoked: dict[str, Any] = self._json(self.http.delete(f"/keys/{key_id}", params=params))
        return revoked

    def download(self, path: str) -> bytes:
        response = self.http.get(path.removeprefix("/v1"))
        if response.is_error:
            raise GatewayError(f"GET {path}: {response.status_code}")
        return response.content

    def feed_url(self, job_id: str, after: int = 0) -> str:
        base = self.base_url.replace("http://", "ws://").replace("https://", "wss://")
        url = f"{base}/v1/feed?job={job_id}&after={after}"
        return f"{url}&api_key={self.api_key}" if self.api_key else url
