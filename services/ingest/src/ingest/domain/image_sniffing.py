"""Recognising image formats from their first bytes: servers' Content-Type headers lie."""

from __future__ import annotations

SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
    (b"\x00\x00\x00\x0cjP  \r\n\x87\n", "image/jp2"),
    (b"\xff\x4f\xff\x51", "image/jp2"),
    (b"BM", "image/bmp"),
)


def sniff_image_type(head: bytes) -> str | None:
    """The image media type `head` starts with, or None when it is not a known image."""
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    for signature, media_type in SIGNATURES:
        if head.startswith(signature):
            return media_type
    return None


def describe_non_image(head: bytes) -> str:
    """A short human description of what a non-image body looks like, for failure reasons."""
    text = head[:64].lstrip().lower()
    if text.startswith((b"<!doctype html", b"<html")):
        return "an HTML page"
    if text.startswith(b"<?xml") or text.startswith(b"<"):
        return "an XML/markup document"
    if text.startswith((b"{", b"[")):
        return "a JSON document"
    if head.startswith(b"%PDF"):
        return "a PDF document"
    if not head:
        return "an empty body"
    return f"unknown data starting with {head[:8].hex()}"
