"""METS 1.12 for a manuscript: gateway file groups, physical and logical structure maps."""

from __future__ import annotations

from lxml import etree

from contracts import Range
from exporter.adapters.xml_common import XLINK, XSI, serialise
from exporter.domain.document import RenderedDocument
from exporter.domain.formats import METS_MEDIA_TYPE, PageFormat
from exporter.domain.manuscript import Manuscript, ManuscriptPage
from exporter.domain.urls import GatewayUrls
from exporter.domain.xmltext import IdAllocator, TextCleaner

METS = "http://www.loc.gov/METS/"
SCHEMA_LOCATION = f"{METS} http://www.loc.gov/standards/mets/version1121/mets.xsd"
_GROUPS = {
    PageFormat.ALTO: "ALTO",
    PageFormat.PAGE: "PAGE",
    PageFormat.TEXT: "TEXT",
    PageFormat.ANNOTATIONS: "ANNOTATIONS",
}


def write_mets(manuscript: Manuscript, urls: GatewayUrls) -> RenderedDocument:
    writer = _MetsWriter(manuscript, urls, TextCleaner(), IdAllocator())
    return RenderedDocument(serialise(writer.build()), METS_MEDIA_TYPE, writer.clean.dropped)


def _e(parent: etree._Element, tag: str, /, **attributes: str) -> etree._Element:
    return etree.SubElement(parent, f"{{{METS}}}{tag}", attributes)


class _MetsWriter:
    def __init__(
        self, manuscript: Manuscript, urls: GatewayUrls, clean: TextCleaner, ids: IdAllocator
    ) -> None:
        self.manuscript, self.urls, self.clean, self.ids = manuscript, urls, clean, ids
        self.pages = manuscript.ordered_pages()

    def build(self) -> etree._Element:
        imported = self.manuscript.imported
        label = self.clean(imported.label or str(imported.manuscript_id))
        root = etree.Element(f"{{{METS}}}mets", nsmap={"mets": METS, "xlink": XLINK, "xsi": XSI})
        root.set(f"{{{XSI}}}schemaLocation", SCHEMA_LOCATION)
        root.set("OBJID", str(imported.manuscript_id))
        root.set("LABEL", label)
        header = _e(root, "metsHdr")
        agent = _e(header, "agent", ROLE="CREATOR", TYPE="OTHER", OTHERTYPE="SOFTWARE")
        _e(agent, "name").text = "Recto"
        files = self._file_sec(root)
        physical = self._physical(root, label, files)
        self._logical(root, label, physical)
        return root

    def _file_sec(self, root: etree._Element) -> dict[int, list[str]]:
        """Files per page index; one group per format, groups only when they hold a file."""
        files: dict[int, list[str]] = {page.registered.index: [] for page in self.pages}
        groups: list[tuple[str, list[tuple[str, str, str]]]] = []
        images = [(page, page.registered.image_url) for page in self.pages]
        image_files = [
            self._file(page, "image", url, "image/jpeg", files) for page, url in images if url
        ]
        if image_files:
            groups.append(("IMAGE", image_files))
        for fmt, use in _GROUPS.items():
            entries = [
                self._file(
                    page,
                    fmt.value,
                    self.urls.page(page.registered.page_id, fmt),
                    fmt.media_type.split(";")[0],
                    files,
                )
                for page in self.pages
                if page.analysis is not None
            ]
            if entries:
                groups.append((use, entries))
        if groups:
            file_sec = _e(root, "fileSec")
            for use, entries in groups:
                group = _e(file_sec, "fileGrp", USE=use)
                for file_id, mimetype, url in entries:
                    element = _e(group, "file", ID=file_id, MIMETYPE=mimetype)
                    _e(element, "FLocat", LOCTYPE="URL").set(f"{{{XLINK}}}href", url)
        return files

    def _file(
        self, page: ManuscriptPage, kind: str, url: str, mimetype: str, files: dict[int, list[str]]
    ) -> tuple[str, str, str]:
        file_id = self.ids(f"file_{kind}_{page.registered.index + 1:04d}")
        files[page.registered.index].append(file_id)
        return file_id, mimetype, url

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
            div_id = self.ids(f"physical_{order:04d}")
            div = _e(
                sequence,
                "div",
                ID=div_id,
                TYPE="page",
                ORDER=str(order),
                ORDERLABEL=self.clean(page.label),
            )
            for file_id in files[page.registered.index]:
                _e(div, "fptr", FILEID=file_id)
            by_canvas[page.canvas_id(self.urls)] = div_id
        return by_canvas

    def _logical(self, root: etree._Element, label: str, physical: dict[str, str]) -> None:
        struct_map = _e(root, "structMap", TYPE="LOGICAL")
        top = _e(
            struct_map, "div", ID=self.ids("logical_manuscript"), TYPE="manuscript", LABEL=label
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
