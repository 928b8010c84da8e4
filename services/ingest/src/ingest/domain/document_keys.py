"""One key per IIIF document, however it is referred to, so a collection's cycles show.

Two references name the same document when they differ only in the case of the scheme or
host, an explicit default port, a fragment or a trailing slash.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

_DEFAULT_PORTS = {"http": 80, "https": 443}


def document_key(reference: str) -> str:
    try:
        parts = urlsplit(reference.strip())
        port = parts.port
    except ValueError:
        return reference.strip()
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    netloc = host if port in (None, _DEFAULT_PORTS.get(scheme)) else f"{host}:{port}"
    path = parts.path.rstrip("/") or "/"
    return urlunsplit((scheme, netloc, path, parts.query, ""))


def document_keys(*references: str | None) -> frozenset[str]:
    """The keys of every non-empty reference: the URL asked, the URL served, the declared id."""
    return frozenset(document_key(r) for r in references if r)
