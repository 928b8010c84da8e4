"""ALTO (v2, v3 and v4 namespaces) to `PageAnalysis`, for imports and round trips."""

from __future__ import annotations

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
from exporter.domain.spacing import join_words
from exporter.formats.xml_common import parse

NAMESPACES = {f"http://www.loc.gov/standards/alto/ns-v{v}#" for v in (2, 3, 4)}
_BLOCKS = {"TextBlock", "Illustration", "GraphicalElement", "ComposedBlock"}
_PAGE_SPACES = ("TopMargin", "LeftMargin", "RightMargin", "BottomMargin", "PrintSpace")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def read_alto(content: bytes) -> PageAnalysis:
    root = parse(content)
    namespace = etree.QName(root).namespace
    if etree.QName(root).localname != "alto" or namespace not in NAMESPACES:
        raise InvalidDocument(f"not an ALTO v2-v4 document: root is {root.tag}")
    return _AltoReader(root, namespace).analysis()


def _box(element: etree._Element) -> Box:
    def value(name: str) -> int:
        return max(0, round(float(element.get(name, "0"))))

    return Box(x=value("HPOS"), y=value("VPOS"), width=value("WIDTH"), height=value("HEIGHT"))


class _AltoReader:
    def __init__(self, root: etree._Element, namespace: str) -> None:
        self.root, self.ns = root, {"a": namespace}
        self.marks_spaces = root.find(".//a:SP", self.ns) is not None
        self.tags = {
            tag.get("ID"): tag.get("LABEL", "") for tag in root.iterfind(".//a:Tags/*", self.ns)
        }

    def analysis(self) -> PageAnalysis:
        unit = self.root.findtext(".//a:Description/a:MeasurementUnit", "pixel", self.ns)
        if unit.strip() != "pixel":
            raise InvalidDocument(f"ALTO MeasurementUnit {unit!r} is not supported, only pixel")
        page = self.root.find(".//a:Layout/a:Page", self.ns)
        if page is None:
            raise InvalidDocument("ALTO document has no Layout/Page")
        width, height = round(float(page.get("WIDTH", 0))), round(float(page.get("HEIGHT", 0)))
        if width <= 0 or height <= 0:
            raise InvalidDocument("ALTO Page has no WIDTH/HEIGHT")
        regions: list[Region] = []
        for space in _PAGE_SPACES:
            for element in page.iterfind(f"a:{space}", self.ns):
                self._blocks(element, None, regions)
        ids = {region.id for region in regions}
        order = [ref for ref in self._reading_order() if ref in ids]
        return PageAnalysis(
            image=PageImage(width=width, height=height, uri=self._file_name()),
            regions=regions,
            reading_order=list(dict.fromkeys(order)),
            engine=self._engine(),
            created_at=self._created_at(),
        )

    def _blocks(self, parent: etree._Element, parent_id: str | None, out: list[Region]) -> None:
        for number, element in enumerate(parent, start=1):
            name = etree.QName(element).localname
            if name not in _BLOCKS:
                continue
            region_id = element.get("ID") or f"block_{len(out) + 1}_{number}"
            lines = [
                self._line(line, len(out) * 1000 + n)
                for n, line in enumerate(element.iterfind("a:TextLine", self.ns), start=1)
            ]
            region_type, zone = self._region_type(element, name)
            out.append(
                Region(
                    id=region_id,
                    type=region_type,
                    zone=zone,
                    bbox=_box(element),
                    polygon=self._polygon(element),
                    parent_id=parent_id,
                    language=element.get("LANG") or element.get("language"),
                    lines=lines,
                )
            )
            if name == "ComposedBlock":
                self._blocks(element, region_id, out)

    def _region_type(
        self, element: etree._Element, name: str
    ) -> tuple[RegionType, SegmOntoZone | None]:
        """Recto's own labels are `RegionType` values; eScriptorium's are SegmOnto zones,
        which are kept and give the type when no label of Recto's does."""
        labels = [self.tags.get(ref, "") for ref in (element.get("TAGREFS") or "").split()]
        types = [RegionType(label) for label in labels if label in RegionType._value2member_map_]
        zone = next((z for label in labels if (z := zone_named(label))), None)
        if types:
            return types[0], zone
        if zone is not None:
            return REGION_TYPE_OF_ZONE[zone], zone
        defaults = {
            "Illustration": RegionType.ILLUSTRATION,
            "GraphicalElement": RegionType.GRAPHIC,
            "ComposedBlock": RegionType.OTHER,
        }
        return defaults.get(name, RegionType.TEXT), None

    def _polygon(self, element: etree._Element) -> list[Point] | None:
        polygon = element.find("a:Shape/a:Polygon", self.ns)
        if polygon is None:
            return None
        points = parse_points(polygon.get("POINTS", ""))
        return points if len(points) >= 3 else None

    def _line(self, element: etree._Element, number: int) -> Line:
        box = _box(element)
        words: list[Word] = []
        gaps: list[bool] = []
        space_before = False
        for child in element:
            name = etree.QName(child).localname if isinstance(child.tag, str) else ""
            if name == "SP":
                space_before = True
            elif name == "String":
                if words:
                    gaps.append(space_before)
                words.append(self._word(child, f"{number}_{len(words) + 1}"))
                space_before = False
        if not self.marks_spaces:
            # Files with no SP at all (older tools) still mean one space between words.
            gaps = [True] * len(gaps)
        text = join_words([word.text for word in words], gaps)
        confidence = None
        # One String covering exactly the line is a line-level transcription, not a word.
        if len(words) == 1 and words[0].bbox == box:
            confidence, words = words[0].confidence, []
        return Line(
            id=element.get("ID") or f"line_{number}",
            text=text,
            bbox=box,
            polygon=self._polygon(element),
            baseline=_baseline(element.get("BASELINE"), box),
            confidence=confidence,
            language=element.get("LANG"),
            words=words,
        )

    def _word(self, element: etree._Element, number: str) -> Word:
        confidence = element.get("WC")
        return Word(
            id=element.get("ID") or f"string_{number}",
            text=element.get("CONTENT", ""),
            bbox=_box(element),
            polygon=self._polygon(element),
            confidence=min(1.0, max(0.0, float(confidence))) if confidence else None,
        )

    def _reading_order(self) -> list[str]:
        return [
            ref
            for element in self.root.iterfind(".//a:ReadingOrder//a:ElementRef", self.ns)
            for ref in element.get("REF", "").split()
        ]

    def _file_name(self) -> str | None:
        name = self.root.findtext(".//a:sourceImageInformation/a:fileName", None, self.ns)
        return name.strip() if name and name.strip() else None

    def _engine(self) -> EngineInfo:
        name = self.root.findtext(".//a:processingSoftware/a:softwareName", None, self.ns)
        version = self.root.findtext(".//a:processingSoftware/a:softwareVersion", None, self.ns)
        return EngineInfo(name=(name or "alto-import").strip(), version=version or None)

    def _created_at(self) -> datetime:
        stamp = self.root.findtext(".//a:processingDateTime", None, self.ns)
        try:
            parsed = datetime.fromisoformat(stamp.strip()) if stamp else EPOCH
        except ValueError:
            return EPOCH
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _baseline(value: str | None, box: Box) -> list[Point] | None:
    """ALTO before 4.2 gives the baseline as one y; later versions as points."""
    if not value or not value.strip():
        return None
    numbers = value.replace(",", " ").split()
    if len(numbers) == 1:
        y = max(0, round(float(numbers[0])))
        return [(box.x, y), (box.right, y)]
    points = parse_points(value)
    return points if len(points) >= 2 else None
