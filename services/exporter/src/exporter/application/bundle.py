"""A manuscript's every export as one zip, streamed: no page is held longer than it is written.

Pages arrive as an iterable (load each analysis lazily), their files are rendered while the zip
is being written, and the manifest and METS, which need every page but not their text, come
last from a slimmed copy of each page.
"""

from __future__ import annotations

import stat
import zlib
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime

from stream_zip import NO_COMPRESSION_64, ZIP_64, MemberFile, stream_zip

from contracts import ManuscriptImported
from exporter.application.render import json_bytes, render_page, render_stage
from exporter.domain.formats import PageFormat
from exporter.domain.iiif_manifest import iiif_manifest
from exporter.domain.manuscript import Manuscript, ManuscriptPage
from exporter.domain.stages import STAGE_FORMATS, StageText, stage_texts
from exporter.domain.urls import BundleUrls
from exporter.domain.workspace import image_file, page_file, stage_file
from exporter.domain.xmltext import TextCleaner
from exporter.formats import xsd
from exporter.formats.mets_writer import BundleFiles, write_mets

# Opens a page's image as chunks, or None; it is opened twice (checksum, then copy), since
# images are stored uncompressed and a zip entry needs its CRC before its data when streamed.
ImageOpener = Callable[[], Iterable[bytes]]
ImageSource = Callable[[ManuscriptPage], ImageOpener | None]
ZIP_EPOCH = datetime(1980, 1, 1)
_MODE = stat.S_IFREG | 0o644


def stream_bundle(
    imported: ManuscriptImported,
    pages: Iterable[ManuscriptPage],
    base_url: str,
    *,
    images: ImageSource | None = None,
    extra: Iterable[tuple[str, ImageOpener]] = (),
) -> Iterator[bytes]:
    """Zip chunks; same pages in, same bytes out (member times come from the analyses).

    The bundle is an OCR-D workspace and an offline IIIF manifest: its `mets.xml` and
    `manifest.json` name the bundle's own files by relative paths. `extra` adds manuscript
    files (e.g. the searchable PDF) at the root, stored as they are.
    """
    members = _members(imported, pages, BundleUrls(base_url), images, extra)
    return iter(stream_zip(members, get_compressobj=_deflate))


def _deflate() -> zlib._Compress:
    return zlib.compressobj(level=6, wbits=-zlib.MAX_WBITS)


def _members(
    imported: ManuscriptImported,
    pages: Iterable[ManuscriptPage],
    urls: BundleUrls,
    images: ImageSource | None,
    extra: Iterable[tuple[str, ImageOpener]],
) -> Iterator[MemberFile]:
    slim: list[ManuscriptPage] = []
    latest = ZIP_EPOCH
    by_index: dict[int, tuple[str, str]] = {}
    for page in pages:
        number = page.registered.index + 1
        urls.numbers[page.registered.page_id] = number
        if images is not None and (opener := images(page)) is not None:
            media_type = page.master.media_type if page.master else "image/jpeg"
            path = image_file(number, media_type)
            urls.images[page.registered.page_id] = by_index[page.registered.index] = (
                path,
                media_type,
            )
            yield _stored(path, ZIP_EPOCH, opener)
        analysis = page.analysis
        if analysis is not None:
            stamp = max(ZIP_EPOCH, analysis.created_at.replace(tzinfo=None))
            latest = max(latest, stamp)
            for fmt in PageFormat:
                yield page_file(fmt, number), stamp, _MODE, ZIP_64, _rendered(fmt, page, urls)
            for fmt in STAGE_FORMATS:
                for stage in stage_texts(analysis):
                    path = stage_file(fmt, number, stage.slug)
                    yield path, stamp, _MODE, ZIP_64, _rendered_stage(fmt, stage, page, urls)
            # Keep what the manifest and METS need, not the page's regions and text.
            stages = [stage.model_copy(update={"output": ""}) for stage in analysis.stages]
            analysis = analysis.model_copy(
                update={"regions": [], "reading_order": [], "stages": stages}
            )
        slim.append(ManuscriptPage(page.registered, analysis, page.master, page.thumbnail))
    manuscript = Manuscript(imported, slim)
    clean = TextCleaner()
    manifest = json_bytes(iiif_manifest(manuscript, urls, cleaner=clean))
    yield "manifest.json", latest, _MODE, ZIP_64, (manifest,)
    mets = write_mets(manuscript, urls, BundleFiles(by_index))
    xsd.validate(xsd.Schema.METS, mets.content)
    yield "mets.xml", latest, _MODE, ZIP_64, (mets.content,)
    for name, opener in extra:
        yield _stored(name, latest, opener)


def _stored(name: str, stamp: datetime, opener: ImageOpener) -> MemberFile:
    """A member copied as it is: images and PDFs are compressed already."""
    size, crc = 0, 0
    for chunk in opener():
        size, crc = size + len(chunk), zlib.crc32(chunk, crc)
    return name, stamp, _MODE, NO_COMPRESSION_64(size, crc), opener()


def _rendered(fmt: PageFormat, page: ManuscriptPage, urls: BundleUrls) -> Iterator[bytes]:
    """Rendered when the zip writer reaches this member, then dropped."""
    assert page.analysis is not None
    local = urls.local_image(page.registered.page_id)
    yield render_page(
        fmt,
        page.analysis,
        page_id=page.registered.page_id,
        urls=urls,
        canvas_id=page.canvas_id(urls),
        canvas_size=page.canvas_size(),
        image_name=local[0] if local else page.registered.image_url or page.analysis.image.uri,
        page_number=page.registered.index + 1,
    ).content


def _rendered_stage(
    fmt: PageFormat, stage: StageText, page: ManuscriptPage, urls: BundleUrls
) -> Iterator[bytes]:
    assert page.analysis is not None
    yield render_stage(
        fmt,
        page.analysis,
        stage,
        page_id=page.registered.page_id,
        urls=urls,
        canvas_id=page.canvas_id(urls),
        canvas_size=page.canvas_size(),
    ).content
