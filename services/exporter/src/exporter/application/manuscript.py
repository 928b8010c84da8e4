"""Manuscript-level exports the gateway serves: IIIF manifest, METS, streamed zip bundle.

They take plain data (the manuscript's `manuscript.imported`, each page's registration and
analysis), never the event store, so the gateway can call them from its read models.
"""

from __future__ import annotations

from exporter.application.render import json_bytes
from exporter.domain.document import RenderedDocument
from exporter.domain.formats import MANIFEST_MEDIA_TYPE
from exporter.domain.iiif_manifest import iiif_manifest
from exporter.domain.manuscript import Manuscript
from exporter.domain.urls import GatewayUrls
from exporter.domain.xmltext import TextCleaner
from exporter.formats import xsd
from exporter.formats.mets_writer import write_mets


def build_iiif_manifest(
    manuscript: Manuscript, base_url: str, *, embed_annotations: bool = False
) -> RenderedDocument:
    """Presentation 3 JSON; annotation pages are referenced unless `embed_annotations`."""
    clean = TextCleaner()
    manifest = iiif_manifest(
        manuscript, GatewayUrls(base_url), embed_annotations=embed_annotations, cleaner=clean
    )
    return RenderedDocument(json_bytes(manifest), MANIFEST_MEDIA_TYPE, clean.dropped)


def build_mets(manuscript: Manuscript, base_url: str) -> RenderedDocument:
    """METS 1.12, validated against the official XSD (raises `InvalidDocument`)."""
    document = write_mets(manuscript, GatewayUrls(base_url))
    xsd.validate(xsd.Schema.METS, document.content)
    return document
