"""The per-page export formats Recto knows, their media types and file names."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class PageFormat(StrEnum):
    ALTO = "alto"
    PAGE = "page"
    TEXT = "text"
    ANNOTATIONS = "annotations"
    WORD_ANNOTATIONS = "word-annotations"
    HOCR = "hocr"

    @property
    def media_type(self) -> str:
        return _MEDIA_TYPES[self]

    @property
    def extension(self) -> str:
        return _EXTENSIONS[self]


_PRESENTATION_3 = 'application/ld+json;profile="http://iiif.io/api/presentation/3/context.json"'
_MEDIA_TYPES = {
    PageFormat.ALTO: "application/alto+xml",
    PageFormat.PAGE: "application/vnd.prima.page+xml",
    PageFormat.TEXT: "text/plain; charset=utf-8",
    PageFormat.ANNOTATIONS: _PRESENTATION_3,
    PageFormat.WORD_ANNOTATIONS: _PRESENTATION_3,
    # Not text/html: served from the API's origin, a transcription must never run as a page.
    PageFormat.HOCR: "text/vnd.hocr+html; charset=utf-8",
}
_EXTENSIONS = {
    PageFormat.ALTO: "alto.xml",
    PageFormat.PAGE: "page.xml",
    PageFormat.TEXT: "txt",
    PageFormat.ANNOTATIONS: "annotations.json",
    PageFormat.WORD_ANNOTATIONS: "word-annotations.json",
    PageFormat.HOCR: "hocr",
}

MANIFEST_MEDIA_TYPE = _PRESENTATION_3
METS_MEDIA_TYPE = "application/mets+xml"
BUNDLE_MEDIA_TYPE = "application/zip"
PDF_MEDIA_TYPE = "application/pdf"


# IIIF annotations are two pages, of lines and of words: asking for them (as every plan made
# before the word page existed does) gets both.
_COMPANIONS = {PageFormat.ANNOTATIONS.value: (PageFormat.WORD_ANNOTATIONS.value,)}


def with_companions(names: Iterable[str]) -> list[str]:
    """The formats to render for `names`, once each, in order, companions after their own;
    stage files are left out: they come with their format, one per stage of the analysis."""
    wanted = [
        also
        for name in names
        if not is_stage_key(name)
        for also in (name, *_COMPANIONS.get(name, ()))
    ]
    return list(dict.fromkeys(wanted))


def stage_key(fmt: PageFormat, slug: str) -> str:
    """A stage file's name among a page's exports (and its path under `/v1/pages/{id}/`)."""
    return f"{fmt.value}/{slug}"


def is_stage_key(name: str) -> bool:
    return "/" in name


def plain_text(text: str) -> bytes:
    """Plain text export: UTF-8, one trailing newline, so files concatenate cleanly."""
    return (text + "\n").encode() if text else b""


# What a manuscript is exported as once every page is done, by their names in events.
IIIF_MANIFEST, METS, BUNDLE, PDF = "iiif-manifest", "mets", "bundle", "pdf"
MANUSCRIPT_FORMATS = (IIIF_MANIFEST, METS, BUNDLE, PDF)
