"""OCR-D's workspace conventions, shared by the METS, the PAGE files and the bundle's layout.

File groups are named `OCR-D-<category>-<name>`, a file's ID is `<group>_<page number>`, a
physical page is `PHYS_<page number>`, and a PAGE document's `pcGtsId` is its METS file ID.
"""

from __future__ import annotations

import mimetypes

from exporter.domain.formats import PageFormat

IMAGE_GROUP = "OCR-D-IMG"
FILE_GROUPS = {
    PageFormat.ALTO: "OCR-D-OCR-ALTO",
    PageFormat.PAGE: "OCR-D-OCR-PAGE",
    PageFormat.TEXT: "OCR-D-OCR-TXT",
    PageFormat.ANNOTATIONS: "OCR-D-OCR-IIIF",
    PageFormat.WORD_ANNOTATIONS: "OCR-D-OCR-IIIF-WORD",
    PageFormat.HOCR: "OCR-D-OCR-HOCR",
}


def file_id(group: str, number: int) -> str:
    return f"{group}_{number:04d}"


def physical_id(number: int) -> str:
    return f"PHYS_{number:04d}"


def pcgts_id(number: int) -> str:
    return file_id(FILE_GROUPS[PageFormat.PAGE], number)


def page_file(fmt: PageFormat, number: int) -> str:
    """Where a page's export lies in a bundle, relative to its root."""
    return f"{fmt.value}/{number:04d}.{fmt.extension}"


def stage_file(fmt: PageFormat, number: int, slug: str) -> str:
    """A stage output's file beside the page's own in that format: `text/0001.translation.txt`."""
    return f"{fmt.value}/{number:04d}.{slug}.{fmt.extension}"


def stage_group(fmt: PageFormat, slug: str) -> str:
    """Its METS file group: `OCR-D-OCR-TXT-STAGE-TRANSLATION` (OCR-D's `[A-Z0-9-]` names)."""
    return f"{FILE_GROUPS[fmt]}-STAGE-{slug.upper()}"


def image_file(number: int, media_type: str) -> str:
    return f"images/{number:04d}{mimetypes.guess_extension(media_type) or '.bin'}"
