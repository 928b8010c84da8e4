"""Format sniffing and the watch rule: small pure functions, tested directly."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.domain.image_sniffing import describe_non_image, sniff_image_type
from ingest.domain.manifest import Manifest
from ingest.domain.watch import new_canvases
from ingest.formats.iiif.documents import parse_document


@pytest.mark.parametrize(
    ("head", "media_type"),
    [
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "image/png"),
        (b"II*\x00\x08\x00", "image/tiff"),
        (b"MM\x00*\x00\x00", "image/tiff"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"\x00\x00\x00\x0cjP  \r\n\x87\n", "image/jp2"),
        (b"GIF89a", "image/gif"),
        (b"<!DOCTYPE html><html>", None),
        (b"", None),
    ],
)
def test_sniffs_by_magic_bytes(head: bytes, media_type: str | None) -> None:
    assert sniff_image_type(head) == media_type


def test_describes_what_is_not_an_image() -> None:
    assert describe_non_image(b"  <!DOCTYPE html>\n<html>") == "an HTML page"
    assert describe_non_image(b'{"error": 1}') == "a JSON document"
    assert describe_non_image(b"%PDF-1.7") == "a PDF document"
    assert describe_non_image(b"") == "an empty body"


def test_watch_registers_only_canvases_not_seen_before(corpora: Path) -> None:
    manifest = parse_document((corpora / "iiif/v3/cookbook-0283-missing-image.json").read_bytes())
    assert isinstance(manifest, Manifest)
    images = manifest.image_canvases
    registered = [images[0].id, images[2].id]
    fresh = new_canvases(registered, manifest)
    assert [(index, canvas.id) for index, canvas in fresh] == [(1, images[1].id)]
    assert new_canvases([c.id for c in images], manifest) == []
    assert len(new_canvases([], manifest)) == 3  # the canvas without an image never counts
