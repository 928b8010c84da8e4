"""ALTO 4.4 from a `PageAnalysis`: blocks, lines, strings with confidences, shapes, order."""

from __future__ import annotations

import json

from lxml import etree

from contracts import Box, Line, PageAnalysis, Region, RegionType, Revision, SegmOntoZone, Word
from exporter.domain.document import RenderedDocument
from exporter.domain.formats import PageFormat
from exporter.domain.geometry import points_text
from exporter.domain.spacing import spaced_gaps
from exporter.domain.xmltext import IdAllocator, TextCleaner, xml_language
from exporter.formats.xml_common import XSI, number, serialise

ALTO = "http://www.loc.gov/standards/alto/ns-v4#"
SCHEMA_LOCATION = f"{ALTO} http://www.loc.gov/standards/alto/v4/alto-4-4.xsd"
PROCESSING_ID = "processing_1"


def write_alto(
    analysis: PageAnalysis, *, image_name: str | None = None, page_number: int = 1
) -> RenderedDocument:
    """Same analysis, same bytes: the only date written is `analysis.created_at`."""
    writer = _AltoWriter(analysis, TextCleaner(), IdAllocator())
    root = writer.build(image_name or analysis.image.uri, page_number)
    return RenderedDocument(serialise(root), PageFormat.ALTO.media_type, writer.clean.dropped)


def tag_id(region_type: RegionType) -> str:
    return f"TYPE_{region_type.value}"


def zone_tag_id(zone: SegmOntoZone) -> str:
    return f"ZONE_{zone.value}"


def processing_ids(analysis: PageAnalysis) -> list[str]:
    """The machine's processing step, then one per human revision."""
    return [PROCESSING_ID] + [f"processing_{n}" for n in range(2, len(analysis.revisions) + 2)]


def _e(parent: etree._Element, tag: str, /, **attributes: str) -> etree._Element:
    return etree.SubElement(parent, f"{{{ALTO}}}{tag}", attributes)


def _position(box: Box) -> dict[str, str]:
    return {
        "HPOS": str(box.x),
        "VPOS": str(box.y),
        "WIDTH": str(box.width),
        "HEIGHT": str(box.height),
    }


class _AltoWriter:
    def __init__(self, analysis: PageAnalysis, clean: TextCleaner, ids: IdAllocator) -> None:
        self.analysis, self.clean, self.ids = analysis, clean, ids

    def build(self, image_name: str | None, page_number: int) -> etree._Element:
        analysis = self.analysis
        root = etree.Element(f"{{{ALTO}}}alto", nsmap={None: ALTO, "xsi": XSI})
        root.set(f"{{{XSI}}}schemaLocation", SCHEMA_LOCATION)
        root.set("SCHEMAVERSION", "4.4")
        # Reserve the fixed ids first, so an engine id can never take one of them.
        steps = processing_ids(analysis)
        zones = [zone_tag_id(z) for z in SegmOntoZone]
        for reserved in [*steps, *(tag_id(t) for t in RegionType), *zones]:
            self.ids(reserved)
        self._description(root, image_name)
        regions = analysis.ordered_regions()
        block_ids = [self.ids(region.id) for region in regions]
        self._tags(root, regions)
        if regions:
            group = _e(_e(root, "ReadingOrder"), "OrderedGroup", ID=self.ids("reading_order"))
            for n, block_id in enumerate(block_ids, start=1):
                _e(group, "ElementRef", ID=self.ids(f"reading_order_{n}"), REF=block_id)
        page = _e(
            _e(root, "Layout"),
            "Page",
            ID=self.ids("page"),
            PHYSICAL_IMG_NR=str(page_number),
            WIDTH=str(analysis.image.width),
            HEIGHT=str(analysis.image.height),
            PROCESSINGREFS=" ".join(steps),
        )
        full_page = Box(x=0, y=0, width=analysis.image.width, height=analysis.image.height)
        space = _e(page, "PrintSpace", **_position(full_page))
        for region, block_id in zip(regions, block_ids, strict=True):
            self._block(space, region, block_id)
        return root

    def _description(self, root: etree._Element, image_name: str | None) -> None:
        engine = self.analysis.engine
        description = _e(root, "Description")
        _e(description, "MeasurementUnit").text = "pixel"
        source = _e(description, "sourceImageInformation")
        if image_name:
            _e(source, "fileName").text = self.clean(image_name)
        processing = _e(description, "Processing", ID=PROCESSING_ID)
        _e(processing, "processingDateTime").text = self.analysis.created_at.isoformat()
        _e(processing, "processingStepDescription").text = "ContentGeneration"
        settings = {"model": engine.model, "prompt_hash": engine.prompt_hash, **engine.parameters}
        present = {key: value for key, value in settings.items() if value is not None}
        _e(processing, "processingStepSettings").text = self.clean(
            json.dumps(present, sort_keys=True, ensure_ascii=False, default=str)
        )
        software = _e(processing, "processingSoftware")
        _e(software, "softwareName").text = self.clean(engine.name)
        if engine.version:
            _e(software, "softwareVersion").text = self.clean(engine.version)
        steps = processing_ids(self.analysis)[1:]
        for step_id, revision in zip(steps, self.analysis.revisions, strict=True):
            self._revision(description, step_id, revision)

    def _revision(self, description: etree._Element, step_id: str, revision: Revision) -> None:
        """A human's correction, adoption or import: who, when, why (ALTO has no editor
        element: the actor goes in the description and the settings)."""
        processing = _e(description, "Processing", ID=step_id)
        _e(processing, "processingCategory").text = "contentModification"
        _e(processing, "processingDateTime").text = revision.at.isoformat()
        _e(processing, "processingStepDescription").text = self.clean(
            f"{revision.kind} by {revision.actor}"
        )
        if revision.reason:
            _e(processing, "processingStepDescription").text = self.clean(revision.reason)
        settings = {
            "actor": revision.actor,
            "version": revision.version,
            "summary": revision.summary,
        }
        _e(processing, "processingStepSettings").text = self.clean(
            json.dumps(settings, sort_keys=True, ensure_ascii=False)
        )
        _e(_e(processing, "processingSoftware"), "softwareName").text = "Recto editions"

    def _tags(self, root: etree._Element, regions: list[Region]) -> None:
        used = sorted({region.type for region in regions}, key=list(RegionType).index)
        zones = sorted({r.zone for r in regions if r.zone}, key=list(SegmOntoZone).index)
        if used:
            tags = _e(root, "Tags")
            for region_type in used:
                _e(tags, "LayoutTag", ID=tag_id(region_type), LABEL=region_type.value)
            for zone in zones:
                _e(tags, "OtherTag", ID=zone_tag_id(zone), LABEL=zone.value, TYPE="SegmOnto")

    def _block(self, parent: etree._Element, region: Region, block_id: str) -> None:
        if region.type.is_text or region.lines:
            name = "TextBlock"
        elif region.type is RegionType.ILLUSTRATION:
            name = "Illustration"
        else:
            name = "GraphicalElement"
        tags = tag_id(region.type) + (f" {zone_tag_id(region.zone)}" if region.zone else "")
        block = _e(parent, name, ID=block_id, TAGREFS=tags, **_position(region.bbox))
        if name == "TextBlock" and (language := xml_language(region.language)):
            block.set("LANG", language)
        self._shape(block, region.polygon)
        if name == "TextBlock":
            for line in region.lines:
                self._line(block, line)

    def _shape(self, parent: etree._Element, polygon: list[tuple[int, int]] | None) -> None:
        if polygon and len(polygon) >= 3:
            _e(_e(parent, "Shape"), "Polygon", POINTS=points_text(polygon))

    def _line(self, block: etree._Element, line: Line) -> None:
        element = _e(block, "TextLine", ID=self.ids(line.id), **_position(line.bbox))
        if line.baseline and len(line.baseline) >= 2:
            element.set("BASELINE", points_text(line.baseline))
        if language := xml_language(line.language):
            element.set("LANG", language)
        self._shape(element, line.polygon)
        if not line.words:
            # ALTO has no line text: a line-level transcription is one String over the line.
            stand_in = Word(
                id=f"{line.id}_text", text=line.text, bbox=line.bbox, confidence=line.confidence
            )
            self._string(element, stand_in)
            return
        gaps = spaced_gaps(line)
        for index, word in enumerate(line.words):
            if index and gaps[index - 1]:
                previous = line.words[index - 1].bbox
                gap = max(0, word.bbox.x - previous.right)
                _e(element, "SP", HPOS=str(previous.right), VPOS=str(previous.y), WIDTH=str(gap))
            self._string(element, word)

    def _string(self, line: etree._Element, word: Word) -> None:
        string = _e(
            line,
            "String",
            ID=self.ids(word.id),
            CONTENT=self.clean(word.text),
            **_position(word.bbox),
        )
        if word.confidence is not None:
            string.set("WC", number(word.confidence))
        self._shape(string, word.polygon)
