"""A manuscript's every export as one zip, streamed: no page is held longer than it is written.

Pages arrive as an iterable (load each analysis lazily), their files are rendered while the zip
is being written, and the manifest and METS, which need every page but not their text, come
last from a slimmed copy of each page.
"""

from __future__ import annotations

import mimetypes
import stat
import zlib
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime

from stream_zip import NO_COMPRESSION_64, ZIP_64, MemberFile, stream_zip

from contracts import ManuscriptImported
from exporter.application.manuscript import build_iiif_manifest, build_mets
from exporter.application.render import render_page
from exporter.domain.formats import PageFormat
from exporter.domain.manuscript import Manuscript, ManuscriptPage
from exporter.domain.urls import GatewayUrls

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
) -> Iterator[bytes]:
    """Zip chunks; same pages in, same bytes out (member times come from the analyses)."""
    members = _members(imported, pages, GatewayUrls(base_url), images)
    return iter(stream_zip(members, get_compressobj=_deflate))


def _deflate() -> zlib._Compress:
    return zlib.compressobj(level=6, wbits=-zlib.MAX_WBITS)


def _members(
    imported: ManuscriptImported,
    pages: Iterable[ManuscriptPage],
    urls: GatewayUrls,
    images: ImageSource | None,
) -> Iterator[MemberFile]:
    slim: list[ManuscriptPage] = []
    latest = ZIP_EPOCH
    for page in pages:
        number = page.registered.index + 1
        if images is not None and (opener := images(page)) is not None:
            yield _image_member(page, number, opener)
        analysis = page.analysis
        if analysis is not None:
            stamp = max(ZIP_EPOCH, analysis.created_at.replace(tzinfo=None))
            latest = max(latest, stamp)
            for fmt in PageFormat:
                name = f"{fmt.value}/{number:04d}.{fmt.extension}"
                yield name, stamp, _MODE, ZIP_64, _rendered(fmt, page, urls)
            # Keep what the manifest and METS need, not the page's regions and text.
            analysis = analysis.model_copy(update={"regions": [], "reading_order": []})
        slim.append(ManuscriptPage(page.registered, analysis, page.master))
    manuscript = Manuscript(imported, slim)
    manifest = build_iiif_manifest(manuscript, urls.base_url).content
    yield "manifest.json", latest, _MODE, ZIP_64, (manifest,)
    yield "mets.xml", latest, _MODE, ZIP_64, (build_mets(manuscript, urls.base_url).content,)


def _image_member(page: ManuscriptPage, number: int, opener: ImageOpener) -> MemberFile:
    size, crc = 0, 0
    for chunk in opener():
        size, crc = size + len(chunk), zlib.crc32(chunk, crc)
    media_type = page.master.media_type if page.master else "image/jpeg"
    extension = mimetypes.guess_extension(media_type) or ".bin"
    name = f"images/{number:04d}{extension}"
    return name, ZIP_EPOCH, _MODE, NO_COMPRESSION_64(size, crc), opener()


def _rendered(fmt: PageFormat, page: ManuscriptPage, urls: GatewayUrls) -> Iterator[bytes]:
    """Rendered when the zip writer reaches this member, then dropped."""
    assert page.analysis is not None
    yield render_page(
        fmt,
        page.analysis,
        page_id=page.registered.page_id,
        urls=urls,
        canvas_id=page.canvas_id(urls),
        canvas_size=page.canvas_size(),
        image_name=page.registered.image_url or page.analysis.image.uri,
        page_number=page.registered.index + 1,
    ).content
