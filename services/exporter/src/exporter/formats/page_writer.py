"""PAGE XML 2019-07-15 from a `PageAnalysis`: regions, lines, words, reading order, metadata.

Stage outputs (translations, normalizations…) are further `TextEquiv`s of the text regions,
after the transcription's, which then has `@index` 1, as OCR-D asks of the preferred one; each
says which stage it is in `@comments` (ADR 0024).
"""

from __future__ import annotations

import json

from lxml import etree

from contracts import Box, Line, PageAnalysis, Region, RegionType, Revision, Word
from exporter.domain.document import RenderedDocument
from exporter.domain.formats import PageFormat
from exporter.domain.geometry import box_corners, outline, points_text, union_box
from exporter.domain.stages import TRANSCRIPTION_INDEX, by_region, stage_texts
from exporter.domain.xmltext import IdAllocator, TextCleaner, xml_language
from exporter.formats.xml_common import XSI, number, serialise

PAGE_2019 = "http://schema.primaresearch.org/PAGE/gts/pagecontent/2019-07-15"
SCHEMA_LOCATION = f"{PAGE_2019} {PAGE_2019}/pagecontent.xsd"

TEXT_REGION_TYPES = {
    RegionType.TEXT: "paragraph",
    RegionType.HEADING: "heading",
    RegionType.MARGINALIA: "marginalia",
    RegionType.CAPTION: "caption",
    RegionType.PAGE_NUMBER: "page-number",
}


def write_page(
    analysis: PageAnalysis,
    *,
    image_name: str | None = None,
    pcgts_id: str | None = None,
    status: str | None = None,
) -> RenderedDocument:
    """`pcgts_id` names the document (OCR-D wants its METS file ID there); `status` is the
    page's editorial status, written when a human has judged the page."""
    writer = _PageWriter(analysis, TextCleaner(), IdAllocator(), status)
    root = writer.build(image_name or analysis.image.uri or "image", pcgts_id)
    return RenderedDocument(serialise(root), PageFormat.PAGE.media_type, writer.clean.dropped)


def _e(parent: etree._Element, tag: str, /, **attributes: str) -> etree._Element:
    return etree.SubElement(parent, f"{{{PAGE_2019}}}{tag}", attributes)


def _custom(structure: str | None, language: str | None) -> str | None:
    """PAGE's `custom` attribute carries what its enumerations cannot (CSS-like syntax): a
    SegmOnto zone, as eScriptorium writes it, or Recto's own type."""
    parts = []
    if structure is not None:
        parts.append(f"structure {{type:{structure};}}")
    if language:
        parts.append(f"language {{code:{language};}}")
    return " ".join(parts) or None


class _PageWriter:
    def __init__(
        self,
        analysis: PageAnalysis,
        clean: TextCleaner,
        ids: IdAllocator,
        status: str | None = None,
    ) -> None:
        self.analysis, self.clean, self.ids, self.status = analysis, clean, ids, status
        self.region_ids = {region.id: self.ids(region.id) for region in analysis.regions}
        self.stages = by_region(analysis, stage_texts(analysis))

    def build(self, image_name: str, pcgts_id: str | None) -> etree._Element:
        analysis = self.analysis
        root = etree.Element(f"{{{PAGE_2019}}}PcGts", nsmap={None: PAGE_2019, "xsi": XSI})
        root.set(f"{{{XSI}}}schemaLocation", SCHEMA_LOCATION)
        if pcgts_id is not None:
            root.set("pcGtsId", self.ids(pcgts_id))
        self._metadata(root)
        page = _e(
            root,
            "Page",
            imageFilename=self.clean(image_name) or "image",
            imageWidth=str(analysis.image.width),
            imageHeight=str(analysis.image.height),
        )
        self._spaces(page)
        top_level, children = _nesting(analysis)
        if top_level:
            group = _e(_e(page, "ReadingOrder"), "OrderedGroup", id=self.ids("reading_order"))
            for index, region in enumerate(top_level):
                _e(
                    group,
                    "RegionRefIndexed",
                    index=str(index),
                    regionRef=self.region_ids[region.id],
                )
        for region in top_level:
            self._region(page, region, children)
        return root

    def _spaces(self, page: etree._Element) -> None:
        """Border: the whole image was scanned page; PrintSpace: where its text is."""
        image = self.analysis.image
        border = Box(x=0, y=0, width=image.width, height=image.height)
        _e(_e(page, "Border"), "Coords", points=points_text(box_corners(border)))
        text = [r.bbox for r in self.analysis.regions if r.type.is_text or r.lines]
        if text:
            print_space = union_box(text)
            _e(_e(page, "PrintSpace"), "Coords", points=points_text(box_corners(print_space)))

    def _metadata(self, root: etree._Element) -> None:
        engine, created = self.analysis.engine, self.analysis.created_at.isoformat()
        revisions = self.analysis.revisions
        last_change = revisions[-1].at.isoformat() if revisions else created
        metadata = _e(root, "Metadata")
        creator = " ".join(part for part in (engine.name, engine.version) if part)
        _e(metadata, "Creator").text = self.clean(creator)
        _e(metadata, "Created").text = created
        _e(metadata, "LastChange").text = last_change
        item = _e(
            metadata,
            "MetadataItem",
            type="processingStep",
            name=self.clean(engine.name),
            value=self.clean(engine.version or ""),
            date=created,
        )
        settings = {"model": engine.model, "prompt_hash": engine.prompt_hash, **engine.parameters}
        present = {key: value for key, value in sorted(settings.items()) if value is not None}
        if present:
            labels = _e(item, "Labels")
            for key, value in present.items():
                text = value if isinstance(value, str) else json.dumps(value, default=str)
                _e(labels, "Label", type=self.clean(key), value=self.clean(text))
        for revision in revisions:
            self._revision(metadata, revision)
        if self.status and self.status != "machine_draft":
            _e(metadata, "MetadataItem", type="other", name="editorialStatus", value=self.status)

    def _revision(self, metadata: etree._Element, revision: Revision) -> None:
        """A human's correction, adoption or import, with its editor as the item's value."""
        item = _e(
            metadata,
            "MetadataItem",
            type="processingStep",
            name=f"recto-{revision.kind}",
            value=self.clean(revision.actor),
            date=revision.at.isoformat(),
        )
        labels = _e(item, "Labels")
        _e(labels, "Label", type="version", value=str(revision.version))
        for key in ("reason", "summary"):
            if text := getattr(revision, key):
                _e(labels, "Label", type=key, value=self.clean(text))

    def _region(
        self, parent: etree._Element, region: Region, children: dict[str, list[Region]]
    ) -> None:
        language = xml_language(region.language)
        attributes = {"id": self.region_ids[region.id]}
        if region.type.is_text or region.lines:
            name = "TextRegion"
            attributes["type"] = TEXT_REGION_TYPES.get(region.type, "other")
        else:
            name = {
                RegionType.ILLUSTRATION: "ImageRegion",
                RegionType.TABLE: "TableRegion",
                RegionType.OTHER: "UnknownRegion",
            }.get(region.type, "GraphicRegion")
            if region.type is RegionType.DECORATION:
                attributes["type"] = "decoration"
        structure = None if region.type in TEXT_REGION_TYPES else region.type.value
        custom = _custom(region.zone.value if region.zone else structure, language)
        if custom:
            attributes["custom"] = custom
        element = _e(parent, name, **attributes)
        _e(element, "Coords", points=points_text(outline(region.polygon, region.bbox)))
        for child in children.get(region.id, []):
            self._region(element, child, children)
        if name != "TextRegion":
            return
        for line in region.lines:
            self._line(element, line)
        if region.lines:
            text = "\n".join(self.clean(line.text) for line in region.lines)
            equiv = _e(element, "TextEquiv")
            _e(equiv, "Unicode").text = text
            stages = self.stages.get(region.id, [])
            if stages:
                equiv.set("index", str(TRANSCRIPTION_INDEX))
            for stage in stages:
                staged = _e(element, "TextEquiv", index=str(stage.index))
                staged.set("comments", stage.page_comments())
                _e(staged, "Unicode").text = self.clean(stage.text_in(region.id))

    def _line(self, region: etree._Element, line: Line) -> None:
        element = _e(region, "TextLine", id=self.ids(line.id))
        if custom := _custom(None, xml_language(line.language)):
            element.set("custom", custom)
        _e(element, "Coords", points=points_text(outline(line.polygon, line.bbox)))
        if line.baseline and len(line.baseline) >= 2:
            _e(element, "Baseline", points=points_text(line.baseline))
        for word in line.words:
            self._word(element, word)
        self._text_equiv(element, line.text, line.confidence)

    def _word(self, line: etree._Element, word: Word) -> None:
        element = _e(line, "Word", id=self.ids(word.id))
        _e(element, "Coords", points=points_text(outline(word.polygon, word.bbox)))
        self._text_equiv(element, word.text, word.confidence)

    def _text_equiv(self, parent: etree._Element, text: str, confidence: float | None) -> None:
        equiv = _e(parent, "TextEquiv")
        if confidence is not None:
            equiv.set("conf", number(confidence))
        _e(equiv, "Unicode").text = self.clean(text)


def _nesting(analysis: PageAnalysis) -> tuple[list[Region], dict[str, list[Region]]]:
    """Top-level regions in reading order, and children by parent; cycles are cut."""
    by_id = {region.id: region for region in analysis.regions}

    def nested(region: Region) -> bool:
        seen, parent = {region.id}, region.parent_id
        while parent is not None and parent in by_id and parent not in seen:
            seen.add(parent)
            parent = by_id[parent].parent_id
        return region.parent_id in by_id and parent is None

    children: dict[str, list[Region]] = {}
    top_level = []
    for region in analysis.ordered_regions():
        if nested(region) and region.parent_id is not None:
            children.setdefault(region.parent_id, []).append(region)
        else:
            top_level.append(region)
    return top_level, children
