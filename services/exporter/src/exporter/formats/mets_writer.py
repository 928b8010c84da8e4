"""METS 1.12 for a manuscript, after OCR-D's conventions: MODS description, file groups,
physical and logical structure maps.

The same writer makes the served METS (files are gateway URLs) and the bundle's (files are
paths inside the bundle, so an unpacked bundle is an OCR-D workspace); a `FileLocator` says
where each file is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from lxml import etree

from contracts import Range
from exporter.domain.document import RenderedDocument
from exporter.domain.formats import METS_MEDIA_TYPE, PageFormat
from exporter.domain.manuscript import Manuscript, ManuscriptPage
from exporter.domain.stages import STAGE_FORMATS, stage_texts
from exporter.domain.urls import GatewayUrls
from exporter.domain.workspace import (
    FILE_GROUPS,
    IMAGE_GROUP,
    file_id,
    page_file,
    physical_id,
    stage_file,
    stage_group,
)
from exporter.domain.xmltext import IdAllocator, TextCleaner
from exporter.formats.mods import MODS, write_mods
from exporter.formats.xml_common import XLINK, XSI, serialise

METS = "http://www.loc.gov/METS/"
SCHEMA_LOCATION = f"{METS} http://www.loc.gov/standards/mets/version1121/mets.xsd"
DMD_ID = "DMDLOG_0000"
Entry = tuple[str, str, str]
"""A file of a group: its ID, media type and location."""


class FileLocator(Protocol):
    """Where a manuscript's files are: `local` ones are paths relative to the METS file."""

    @property
    def local(self) -> bool: ...

    def image(self, page: ManuscriptPage) -> tuple[str, str] | None:
        """(href, media type) of the page's image, or None when there is none to point to."""
        ...

    def page_file(self, page: ManuscriptPage, fmt: PageFormat) -> str: ...

    def stage_file(self, page: ManuscriptPage, fmt: PageFormat, slug: str) -> str: ...


@dataclass(frozen=True)
class GatewayFiles:
    """The served METS: exports through the gateway, images where the source has them."""

    urls: GatewayUrls
    local: bool = False

    def image(self, page: ManuscriptPage) -> tuple[str, str] | None:
        url = page.registered.image_url
        return (url, "image/jpeg") if url else None

    def page_file(self, page: ManuscriptPage, fmt: PageFormat) -> str:
        return self.urls.page(page.registered.page_id, fmt)

    def stage_file(self, page: ManuscriptPage, fmt: PageFormat, slug: str) -> str:
        return self.urls.stage(page.registered.page_id, fmt, slug)


@dataclass(frozen=True)
class BundleFiles:
    """The bundle's METS: every file by its path in the bundle; `images` by page index."""

    images: Mapping[int, tuple[str, str]] = field(default_factory=dict)
    local: bool = True

    def image(self, page: ManuscriptPage) -> tuple[str, str] | None:
        return self.images.get(page.registered.index)

    def page_file(self, page: ManuscriptPage, fmt: PageFormat) -> str:
        return page_file(fmt, page.registered.index + 1)

    def stage_file(self, page: ManuscriptPage, fmt: PageFormat, slug: str) -> str:
        return stage_file(fmt, page.registered.index + 1, slug)


def write_mets(
    manuscript: Manuscript, urls: GatewayUrls, files: FileLocator | None = None
) -> RenderedDocument:
    locator = files if files is not None else GatewayFiles(urls)
    writer = _MetsWriter(manuscript, urls, locator, TextCleaner(), IdAllocator())
    return RenderedDocument(serialise(writer.build()), METS_MEDIA_TYPE, writer.clean.dropped)


def _e(parent: etree._Element, tag: str, /, **attributes: str) -> etree._Element:
    return etree.SubElement(parent, f"{{{METS}}}{tag}", attributes)


class _MetsWriter:
    def __init__(
        self,
        manuscript: Manuscript,
        urls: GatewayUrls,
        files: FileLocator,
        clean: TextCleaner,
        ids: IdAllocator,
    ) -> None:
        self.manuscript, self.urls, self.files = manuscript, urls, files
        self.clean, self.ids = clean, ids
        self.pages = manuscript.ordered_pages()

    def build(self) -> etree._Element:
        imported = self.manuscript.imported
        label = self.clean(imported.label or str(imported.manuscript_id))
        nsmap = {"mets": METS, "mods": MODS, "xlink": XLINK, "xsi": XSI}
        root = etree.Element(f"{{{METS}}}mets", nsmap=nsmap)
        root.set(f"{{{XSI}}}schemaLocation", SCHEMA_LOCATION)
        root.set("OBJID", str(imported.manuscript_id))
        root.set("LABEL", label)
        header = _e(root, "metsHdr")
        agent = _e(header, "agent", ROLE="CREATOR", TYPE="OTHER", OTHERTYPE="SOFTWARE")
        _e(agent, "name").text = "Recto"
        self.ids(DMD_ID)
        wrap = _e(_e(root, "dmdSec", ID=DMD_ID), "mdWrap", MDTYPE="MODS")
        write_mods(_e(wrap, "xmlData"), imported, self.clean)
        files = self._file_sec(root)
        physical = self._physical(root, label, files)
        self._logical(root, label, physical)
        return root

    def _file_sec(self, root: etree._Element) -> dict[int, list[str]]:
        """Files per page index; one group per format, groups only when they hold a file."""
        files: dict[int, list[str]] = {page.registered.index: [] for page in self.pages}
        groups: list[tuple[str, list[Entry]]] = []
        image_files = [
            self._file(page, IMAGE_GROUP, image[0], image[1], files)
            for page in self.pages
            if (image := self.files.image(page)) is not None
        ]
        if image_files:
            groups.append((IMAGE_GROUP, image_files))
        for fmt, use in FILE_GROUPS.items():
            entries = [
                self._file(
                    page,
                    use,
                    self.files.page_file(page, fmt),
                    fmt.media_type.split(";")[0],
                    files,
                )
                for page in self.pages
                if page.analysis is not None and page.has_format(fmt)
            ]
            if entries:
                groups.append((use, entries))
        groups.extend(self._stage_groups(files))
        if groups:
            file_sec = _e(root, "fileSec")
            for use, entries in groups:
                group = _e(file_sec, "fileGrp", USE=use)
                for identifier, mimetype, href in entries:
                    element = _e(group, "file", ID=identifier, MIMETYPE=mimetype)
                    if self.files.local:
                        location = _e(element, "FLocat", LOCTYPE="OTHER", OTHERLOCTYPE="FILE")
                    else:
                        location = _e(element, "FLocat", LOCTYPE="URL")
                    location.set(f"{{{XLINK}}}href", href)
        return files

    def _stage_groups(self, files: dict[int, list[str]]) -> list[tuple[str, list[Entry]]]:
        """One group per stage and format that gives each stage its own file, in plan order."""
        present: dict[tuple[PageFormat, str], list[ManuscriptPage]] = {}
        for page in self.pages:
            stages = stage_texts(page.analysis) if page.analysis is not None else []
            for fmt in STAGE_FORMATS:
                for stage in stages:
                    if page.has_stage(fmt, stage.slug):
                        present.setdefault((fmt, stage.slug), []).append(page)
        groups = []
        for (fmt, slug), pages in present.items():
            use, mimetype = stage_group(fmt, slug), fmt.media_type.split(";")[0]
            entries = [
                self._file(page, use, self.files.stage_file(page, fmt, slug), mimetype, files)
                for page in pages
            ]
            groups.append((use, entries))
        return groups

    def _file(
        self,
        page: ManuscriptPage,
        group: str,
        href: str,
        mimetype: str,
        files: dict[int, list[str]],
    ) -> Entry:
        identifier = self.ids(file_id(group, page.registered.index + 1))
        files[page.registered.index].append(identifier)
        return identifier, mimetype, href

    def _physical(
        self, root: etree._Element, label: str, files: dict[int, list[str]]
    ) -> dict[str, str]:
        """Physical divs in page order; returns canvas id -> div id for the logical links."""
        struct_map = _e(root, "structMap", TYPE="PHYSICAL")
        sequence = _e(
            struct_map, "div", ID=self.ids("physical_sequence"), TYPE="physSequence", LABEL=label
        )
        by_canvas: dict[str, str] = {}
        for order, page in enumerate(self.pages, start=1):
            div_id = self.ids(physical_id(page.registered.index + 1))
            div = _e(
                sequence,
                "div",
                ID=div_id,
                TYPE="page",
                ORDER=str(order),
                ORDERLABEL=self.clean(page.label),
            )
            for identifier in files[page.registered.index]:
                _e(div, "fptr", FILEID=identifier)
            by_canvas[page.canvas_id(self.urls)] = div_id
        return by_canvas

    def _logical(self, root: etree._Element, label: str, physical: dict[str, str]) -> None:
        struct_map = _e(root, "structMap", TYPE="LOGICAL")
        top = _e(
            struct_map,
            "div",
            ID=self.ids("logical_manuscript"),
            TYPE="manuscript",
            LABEL=label,
            DMDID=DMD_ID,
        )
        links: list[tuple[str, str]] = [(top.get("ID", ""), div) for div in physical.values()]
        for item in self.manuscript.imported.structure:
            self._range(top, item, physical, links)
        if links:
            struct_link = _e(root, "structLink")
            for source, target in links:
                link = _e(struct_link, "smLink")
                link.set(f"{{{XLINK}}}from", source)
                link.set(f"{{{XLINK}}}to", target)

    def _range(
        self,
        parent: etree._Element,
        item: Range,
        physical: dict[str, str],
        links: list[tuple[str, str]],
    ) -> None:
        div = _e(parent, "div", ID=self.ids(f"logical_{item.id}"), TYPE="section")
        if item.label:
            div.set("LABEL", self.clean(item.label))
        links.extend((div.get("ID", ""), physical[c]) for c in item.canvases if c in physical)
        for child in item.ranges:
            self._range(div, child, physical, links)
