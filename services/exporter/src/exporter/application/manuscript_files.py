"""A done manuscript's files written to the artifact store: IIIF manifest, METS, bundle.

Blocking (lxml, file I/O): run it in a worker thread. The analyses are read one at a time, and
only what the manifest and METS need is kept of each; the bundle is streamed into the store.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from contracts import ArtifactRef, ManuscriptImported, PageAnalysis
from exporter.application.bundle import ImageOpener, stream_bundle
from exporter.application.manuscript import build_iiif_manifest, build_mets
from exporter.application.searchable_pdf import file_chunks, write_searchable_pdf
from exporter.domain.formats import (
    BUNDLE,
    BUNDLE_MEDIA_TYPE,
    IIIF_MANIFEST,
    METS,
    PDF,
    PDF_MEDIA_TYPE,
)
from exporter.domain.manuscript import Manuscript, ManuscriptPage
from exporter.domain.progress import PageHistory
from exporter.formats.pdf_writer import PageImageData
from infra.artifacts import ArtifactStore

log = logging.getLogger(__name__)


def store_manuscript_files(
    imported: ManuscriptImported,
    pages: Sequence[PageHistory],
    artifacts: ArtifactStore,
    base_url: str,
) -> dict[str, ArtifactRef]:
    slim = Manuscript(imported, [_slim(page) for page in _pages(pages, artifacts)])
    manifest = build_iiif_manifest(slim, base_url)
    mets = build_mets(slim, base_url)

    def image(page: ManuscriptPage) -> ImageOpener | None:
        master = page.master
        if master is None or not artifacts.exists(master):
            log.warning("page %s: no master image for the bundle", page.registered.page_id)
            return None
        return lambda: artifacts.open_chunks(master)

    def image_data(page: ManuscriptPage) -> PageImageData | None:
        master = page.master
        if master is None or not artifacts.exists(master):
            return None
        return PageImageData(artifacts.get(master), master.media_type)

    with tempfile.TemporaryDirectory(prefix="recto-pdf-") as workdir:
        target = Path(workdir) / "searchable.pdf"
        write_searchable_pdf(_pages(pages, artifacts), image_data, target, Path(workdir))
        pdf = artifacts.put_stream(file_chunks(target), PDF_MEDIA_TYPE)
    extra = [("searchable.pdf", lambda: artifacts.open_chunks(pdf))]
    chunks = stream_bundle(imported, _pages(pages, artifacts), base_url, images=image, extra=extra)
    return {
        IIIF_MANIFEST: artifacts.put(manifest.content, manifest.media_type),
        METS: artifacts.put(mets.content, mets.media_type),
        BUNDLE: artifacts.put_stream(chunks, BUNDLE_MEDIA_TYPE),
        PDF: pdf,
    }


def _pages(pages: Iterable[PageHistory], artifacts: ArtifactStore) -> Iterator[ManuscriptPage]:
    """Each page with its exported analysis, read when asked for; failed pages have none."""
    for page in pages:
        assert page.registered is not None
        analysis = None
        if page.exported is not None:
            raw = artifacts.get(page.exported.analysis)
            analysis = PageAnalysis.model_validate_json(raw)
        formats = frozenset(page.exported.formats) if page.exported is not None else None
        yield ManuscriptPage(page.registered, analysis, page.master, page.thumbnail, formats)


def _slim(page: ManuscriptPage) -> ManuscriptPage:
    if page.analysis is None:
        return page
    # The manifest and METS need a page's size and presence of text, not its regions.
    analysis = page.analysis.model_copy(update={"regions": [], "reading_order": []})
    return ManuscriptPage(page.registered, analysis, page.master, page.thumbnail, page.formats)
