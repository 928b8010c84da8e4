"""PAGE XML (2013-07-15 and 2019-07-15 namespaces, and their kin) to `PageAnalysis`."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from lxml import etree

from contracts import (
    Box,
    EngineInfo,
    Line,
    PageAnalysis,
    PageImage,
    Point,
    Region,
    RegionType,
    Word,
)
from contracts.errors import InvalidDocument
from contracts.region_types import REGION_TYPE_OF_ZONE, SegmOntoZone, zone_named
from exporter.domain.geometry import parse_points
from exporter.formats.xml_common import parse

PAGE_PREFIX = "http://schema.primaresearch.org/PAGE/gts/pagecontent/"
_TEXT_TYPES = {
    "paragraph": RegionType.TEXT,
    "heading": RegionType.HEADING,
    "marginalia": RegionType.MARGINALIA,
    "caption": RegionType.CAPTION,
    "page-number": RegionType.PAGE_NUMBER,
}
_OTHER_REGIONS = {
    "ImageRegion": RegionType.ILLUSTRATION,
    "GraphicRegion": RegionType.GRAPHIC,
    "LineDrawingRegion": RegionType.GRAPHIC,
    "ChartRegion": RegionType.GRAPHIC,
    "TableRegion": RegionType.TABLE,
}
_CUSTOM_TYPE = re.compile(r"structure\s*\{[^}]*?type:\s*([^;}\s]+)")
_CUSTOM_LANGUAGE = re.compile(r"language\s*\{[^}]*?code:\s*([^;}\s]+)")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def read_page(content: bytes) -> PageAnalysis:
    root = parse(content)
    namespace = etree.QName(root).namespace or ""
    if etree.QName(root).localname != "PcGts" or not namespace.startswith(PAGE_PREFIX):
        raise InvalidDocument(f"not a PAGE document: root is {root.tag}")
    return _PageReader(root, {"pc": namespace}).analysis()


class _PageReader:
    def __init__(self, root: etree._Element, ns: dict[str, str]) -> None:
        self.root, self.ns = root, ns

    def analysis(self) -> PageAnalysis:
        page = self.root.find("pc:Page", self.ns)
        if page is None:
            raise InvalidDocument("PAGE document has no Page")
        width = round(float(page.get("imageWidth", 0)))
        height = round(float(page.get("imageHeight", 0)))
        if width <= 0 or height <= 0:
            raise InvalidDocument("PAGE Page has no imageWidth/imageHeight")
        regions: list[Region] = []
        self._regions(page, None, regions)
        ids = {region.id for region in regions}
        order = [ref for ref in self._reading_order(page) if ref in ids]
        return PageAnalysis(
            image=PageImage(width=width, height=height, uri=page.get("imageFilename") or None),
            regions=regions,
            reading_order=list(dict.fromkeys(order)),
            engine=self._engine(),
            created_at=self._created_at(),
        )

    def _regions(self, parent: etree._Element, parent_id: str | None, out: list[Region]) -> None:
        for element in parent:
            if not isinstance(element.tag, str):
                continue
            name = etree.QName(element).localname
            if not name.endswith("Region"):
                continue
            points = self._points(element)
            region_id = element.get("id") or f"region_{len(out) + 1}"
            custom = element.get("custom") or ""
            region_type, zone = _region_type(name, element.get("type"), custom)
            out.append(
                Region(
                    id=region_id,
                    type=region_type,
                    zone=zone,
                    bbox=Box.around(points) if points else Box(x=0, y=0, width=0, height=0),
                    polygon=points if len(points) >= 3 else None,
                    parent_id=parent_id,
                    language=_custom_language(custom),
                    lines=[
                        self._line(line, n)
                        for n, line in enumerate(element.iterfind("pc:TextLine", self.ns), start=1)
                    ],
                )
            )
            self._regions(element, region_id, out)

    def _points(self, element: etree._Element) -> list[Point]:
        coords = element.find("pc:Coords", self.ns)
        if coords is None:
            return []
        if coords.get("points") is not None:
            return parse_points(coords.get("points", ""))
        # PAGE 2010 wrote one <Point x y/> per vertex.
        return [
            (max(0, round(float(p.get("x", 0)))), max(0, round(float(p.get("y", 0)))))
            for p in coords.iterfind("pc:Point", self.ns)
        ]

    def _text(self, element: etree._Element) -> tuple[str, float | None]:
        equivs = list(element.iterfind("pc:TextEquiv", self.ns))
        if not equivs:
            return "", None
        best = min(equivs, key=lambda e: int(e.get("index", 0)))
        conf = best.get("conf")
        return best.findtext("pc:Unicode", "", self.ns), float(conf) if conf else None

    def _line(self, element: etree._Element, number: int) -> Line:
        points = self._points(element)
        baseline_element = element.find("pc:Baseline", self.ns)
        baseline = (
            parse_points(baseline_element.get("points", ""))
            if (baseline_element is not None)
            else []
        )
        text, confidence = self._text(element)
        words = []
        for n, word in enumerate(element.iterfind("pc:Word", self.ns), start=1):
            word_points, (word_text, word_conf) = self._points(word), self._text(word)
            words.append(
                Word(
                    id=word.get("id") or f"word_{number}_{n}",
                    text=word_text,
                    bbox=Box.around(word_points)
                    if word_points
                    else Box(x=0, y=0, width=0, height=0),
                    polygon=word_points if len(word_points) >= 3 else None,
                    confidence=word_conf,
                )
            )
        return Line(
            id=element.get("id") or f"line_{number}",
            text=text,
            bbox=Box.around(points) if points else Box(x=0, y=0, width=0, height=0),
            polygon=points if len(points) >= 3 else None,
            baseline=baseline if len(baseline) >= 2 else None,
            confidence=confidence,
            language=_custom_language(element.get("custom") or ""),
            words=words,
        )

    def _reading_order(self, page: etree._Element) -> list[str]:
        group = page.find("pc:ReadingOrder/*", self.ns)
        return _group_refs(group) if group is not None else []

    def _engine(self) -> EngineInfo:
        item = self.root.find("pc:Metadata/pc:MetadataItem[@type='processingStep']", self.ns)
        if item is not None and item.get("name"):
            return EngineInfo(name=item.get("name", ""), version=item.get("value") or None)
        creator = (self.root.findtext("pc:Metadata/pc:Creator", "", self.ns) or "").strip()
        return EngineInfo(name=creator or "page-import")

    def _created_at(self) -> datetime:
        stamp = (self.root.findtext("pc:Metadata/pc:Created", "", self.ns) or "").strip()
        try:
            parsed = datetime.fromisoformat(stamp) if stamp else EPOCH
        except ValueError:
            return EPOCH
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _group_refs(group: etree._Element) -> list[str]:
    """Region ids of a (nested) ordered or unordered group, by @index where given."""
    members = [child for child in group if isinstance(child.tag, str)]
    members.sort(key=lambda child: int(child.get("index", 0)))
    refs: list[str] = []
    for child in members:
        if child.get("regionRef"):
            refs.append(child.get("regionRef", ""))
        refs.extend(_group_refs(child))
    return refs


def _region_type(
    name: str, page_type: str | None, custom: str
) -> tuple[RegionType, SegmOntoZone | None]:
    """Recto's type from the element, unless `custom` names one; a SegmOnto zone there (as
    eScriptorium writes) is kept, and gives the type."""
    if match := _CUSTOM_TYPE.search(custom):
        if match[1] in RegionType._value2member_map_:
            return RegionType(match[1]), None
        if zone := zone_named(match[1]):
            return REGION_TYPE_OF_ZONE[zone], zone
    if name == "TextRegion":
        return _TEXT_TYPES.get(page_type or "", RegionType.TEXT), None
    if name == "GraphicRegion" and page_type == "decoration":
        return RegionType.DECORATION, None
    return _OTHER_REGIONS.get(name, RegionType.OTHER), None


def _custom_language(custom: str) -> str | None:
    match = _CUSTOM_LANGUAGE.search(custom)
    return match[1] if match else None
