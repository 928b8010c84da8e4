"""A manuscript's searchable PDF: one page per manuscript page, written page by page.

Each page becomes a one-page PDF on disk, then the pages are joined; qpdf copies a page's
streams from its file only when the joined PDF is written, so no more than one page image is
ever in memory, whatever the manuscript's length. Joining goes by rounds of at most
`FAN_IN` files, which bounds the files held open at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import pikepdf

from exporter.domain.manuscript import ManuscriptPage
from exporter.formats.pdf_writer import PageImageData, pdf_page

FAN_IN = 200
ImageData = Callable[[ManuscriptPage], PageImageData | None]


def write_searchable_pdf(
    pages: Iterable[ManuscriptPage], images: ImageData, target: Path, workdir: Path
) -> int:
    """Write the PDF to `target`; returns its page count. Pages of unknown size are left out."""
    written: list[Path] = []
    for page in pages:
        size = page.image_size() or page.canvas_size()
        if size is None:
            continue
        with pdf_page(images(page), page.analysis, size) as single:
            path = workdir / f"page-{len(written):06d}.pdf"
            single.save(path)
        written.append(path)
    _join(written, target, workdir)
    return len(written)


def _join(paths: list[Path], target: Path, workdir: Path, round_number: int = 0) -> None:
    if len(paths) > FAN_IN:
        parts = []
        for start in range(0, len(paths), FAN_IN):
            part = workdir / f"round-{round_number}-{start // FAN_IN:06d}.pdf"
            _join(paths[start : start + FAN_IN], part, workdir, round_number + 1)
            parts.append(part)
        _join(parts, target, workdir, round_number + 1)
        return
    sources: list[pikepdf.Pdf] = []
    with pikepdf.new() as joined:
        try:
            for path in paths:
                source = pikepdf.open(path)
                sources.append(source)
                joined.pages.extend(source.pages)
            joined.save(target, deterministic_id=True, compress_streams=True)
        finally:
            for source in sources:
                source.close()


def file_chunks(path: Path, size: int = 1 << 20) -> Iterator[bytes]:
    with path.open("rb") as file:
        while chunk := file.read(size):
            yield chunk
