"""The per-page export formats Recto knows, their media types and file names."""

from __future__ import annotations

from enum import StrEnum


class PageFormat(StrEnum):
    ALTO = "alto"
    PAGE = "page"
    TEXT = "text"
    ANNOTATIONS = "annotations"

    @property
    def media_type(self) -> str:
        return _MEDIA_TYPES[self]

    @property
    def extension(self) -> str:
        return _EXTENSIONS[self]


_MEDIA_TYPES = {
    PageFormat.ALTO: "application/alto+xml",
    PageFormat.PAGE: "application/vnd.prima.page+xml",
    PageFormat.TEXT: "text/plain; charset=utf-8",
    PageFormat.ANNOTATIONS: 'application/ld+json;profile="http://iiif.io/api/presentation/3/context.json"',
}
_EXTENSIONS = {
    PageFormat.ALTO: "alto.xml",
    PageFormat.PAGE: "page.xml",
    PageFormat.TEXT: "txt",
    PageFormat.ANNOTATIONS: "annotations.json",
}

MANIFEST_MEDIA_TYPE = 'application/ld+json;profile="http://iiif.io/api/presentation/3/context.json"'
METS_MEDIA_TYPE = "application/mets+xml"
BUNDLE_MEDIA_TYPE = "application/zip"


def plain_text(text: str) -> bytes:
    """Plain text export: UTF-8, one trailing newline, so files concatenate cleanly."""
    return (text + "\n").encode() if text else b""


# What a manuscript is exported as once every page is done, by their names in events.
IIIF_MANIFEST, METS, BUNDLE = "iiif-manifest", "mets", "bundle"
MANUSCRIPT_FORMATS = (IIIF_MANIFEST, METS, BUNDLE)
