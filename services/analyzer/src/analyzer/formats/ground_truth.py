"""Read ground truth as OCR-D reads it (dinglehopper's `page_extract` and `alto_extract`).

PAGE: the text of each `TextRegion` in the page's `ReadingOrder` (ordered groups by their
`index`, unordered groups as written, nested groups in place); regions the reading order
leaves out are not part of the text, and without a reading order every region counts, in
document order. A region's text is its own `TextEquiv` (the lowest `index`, else the highest
`conf`, else the first); empty regions are dropped; regions are joined by line breaks. A file
whose regions carry no text at all is read a level down, from its lines, as
`dinglehopper --textequiv-level line` would. ALTO: every `TextLine` in its own order, its
`String`s joined by spaces.

Each page also keeps the boxes of its text regions in reading order (PAGE `TextRegion`s, ALTO
`TextBlock`s), so recognition can be measured on the ground truth's own layout, as OCR-D
measures a recogniser apart from segmentation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from lxml import etree

IMAGE_SUFFIXES = (".tif", ".tiff", ".jpg", ".jpeg", ".png", ".jp2")
_GROUPS = frozenset(
    {"OrderedGroup", "OrderedGroupIndexed", "UnorderedGroup", "UnorderedGroupIndexed"}
)

Level = Literal["region", "line"]
Box = tuple[int, int, int, int]
"""left, top, right, bottom in image pixels"""


@dataclass(frozen=True)
class GroundTruthPage:
    xml: Path
    image: Path
    format: str  # "page" or "alto"
    segments: list[str]  # region (or line) texts in reading order, joined by line breaks
    level: str = "line"  # "region" or "line": what a segment is
    regions: tuple[Box, ...] = ()  # boxes of the text regions with text, in reading order

    @property
    def text(self) -> str:
        return "\n".join(self.segments)

    @property
    def lines(self) -> list[str]:
        return [line for line in self.text.split("\n") if line.strip()]


def read_ground_truth(xml: Path, root: Path) -> GroundTruthPage | None:
    """The page this file describes, or None when it is neither PAGE nor ALTO or has no image."""
    tree = etree.parse(str(xml))
    namespace = etree.QName(tree.getroot()).namespace or ""
    level: Level = "line"
    if "primaresearch.org/PAGE" in namespace:
        segments = page_segments(tree, "region")
        if not segments:
            segments = page_segments(tree, "line")
        else:
            level = "region"
        boxes = page_region_boxes(tree, level)
        names = tree.xpath("//p:Page/@imageFilename", namespaces={"p": namespace})
        kind = "page"
    elif "standards/alto" in namespace:
        segments = alto_segments(tree)
        boxes = alto_block_boxes(tree)
        names = tree.xpath(
            "//a:sourceImageInformation/a:fileName/text()", namespaces={"a": namespace}
        )
        kind = "alto"
    else:
        return None
    image = _find_image(xml, root, [str(n).strip() for n in names])
    if image is None:
        return None
    return GroundTruthPage(xml, image, kind, segments, level, tuple(boxes))


def page_segments(tree: etree._ElementTree, level: Level) -> list[str]:
    """Texts of the regions in reading order (at `level`), empty ones left out."""
    return [text for text, _ in _read_regions(tree, level)]


def page_region_boxes(tree: etree._ElementTree, level: Level) -> list[Box]:
    """Boxes of the regions `page_segments` reads, in the same order."""
    return [box for _, box in _read_regions(tree, level) if box is not None]


def _read_regions(tree: etree._ElementTree, level: Level) -> list[tuple[str, Box | None]]:
    ns = {"p": etree.QName(tree.getroot()).namespace or ""}
    order = tree.find(".//p:ReadingOrder", ns)
    if order is None:
        regions = list(tree.iterfind(".//p:TextRegion", ns))
    else:
        regions = []
        for group in order.iterfind("./*", ns):
            regions += _regions_in_group(group, tree, ns)
    read = [(_region_text(region, ns, level), _box(region, ns)) for region in regions]
    return [(text, box) for text, box in read if text != ""]


def _box(region: etree._Element, ns: dict[str, str]) -> Box | None:
    coords = region.find("./p:Coords", ns)
    try:
        points = [tuple(int(float(n)) for n in p.split(",")) for p in coords.get("points").split()]
    except (AttributeError, ValueError):  # no outline, or an unreadable one
        return None
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return (min(xs), min(ys), max(xs) + 1, max(ys) + 1) if points else None


def _regions_in_group(
    group: etree._Element, tree: etree._ElementTree, ns: dict[str, str]
) -> list[etree._Element]:
    name = etree.QName(group).localname
    if name not in _GROUPS:
        return []
    children = list(group)
    if name.startswith("Ordered"):
        # A member without an index has no place in an ordered group: OCR-D leaves it out.
        indexed = [child for child in children if child.get("index") is not None]
        children = sorted(indexed, key=lambda child: int(child.get("index", "0")))
    regions: list[etree._Element] = []
    for child in children:
        if etree.QName(child).localname in _GROUPS:
            regions += _regions_in_group(child, tree, ns)
            continue
        ref = child.get("regionRef")
        found = tree.xpath(".//p:TextRegion[@id=$ref]", namespaces=ns, ref=ref) if ref else []
        if found:  # a reference to an image or separator region carries no text
            regions.append(found[0])
    return regions


def _region_text(region: etree._Element, ns: dict[str, str], level: Level) -> str:
    if level == "region":
        return _text_equiv(region, ns)
    return "\n".join(_text_equiv(line, ns) for line in region.iterfind("./p:TextLine", ns))


def _text_equiv(element: etree._Element, ns: dict[str, str]) -> str:
    """The first of an element's `TextEquiv`s by index, else by confidence, else as written."""
    equivs = element.findall("./p:TextEquiv", ns)
    if not equivs:
        return ""
    chosen = equivs[0]
    if len(equivs) > 1:
        indices = [_number(e.get("index")) for e in equivs]
        confidences = [_number(e.get("conf")) for e in equivs]
        if any(not math.isnan(i) for i in indices):
            chosen = min(zip(indices, equivs, strict=True), key=lambda p: _nan_last(p[0]))[1]
        elif any(not math.isnan(c) for c in confidences):
            chosen = max(zip(confidences, equivs, strict=True), key=lambda p: _nan_first(p[0]))[1]
    unicode = chosen.find("./p:Unicode", ns)
    return (unicode.text or "") if unicode is not None else ""


def _number(value: str | None) -> float:
    try:
        return float(value) if value is not None else math.nan
    except ValueError:
        return math.nan


def _nan_last(value: float) -> float:
    return math.inf if math.isnan(value) else value


def _nan_first(value: float) -> float:
    return -math.inf if math.isnan(value) else value


def alto_segments(tree: etree._ElementTree) -> list[str]:
    """Every ALTO line in file order, its strings joined by spaces (empty lines kept)."""
    ns = {"a": etree.QName(tree.getroot()).namespace or ""}
    return [
        " ".join(s.get("CONTENT", "") for s in line.iterfind("a:String", ns))
        for line in tree.iterfind(".//a:TextLine", ns)
    ]


def alto_block_boxes(tree: etree._ElementTree) -> list[Box]:
    """Boxes of the ALTO `TextBlock`s that hold lines, in file order."""
    ns = {"a": etree.QName(tree.getroot()).namespace or ""}
    boxes = []
    for block in tree.iterfind(".//a:TextBlock", ns):
        if block.find("a:TextLine", ns) is None:
            continue
        try:
            left, top = float(block.get("HPOS", "")), float(block.get("VPOS", ""))
            width, height = float(block.get("WIDTH", "")), float(block.get("HEIGHT", ""))
        except ValueError:
            continue
        boxes.append((int(left), int(top), int(left + width) + 1, int(top + height) + 1))
    return boxes


def _find_image(xml: Path, root: Path, names: list[str]) -> Path | None:
    """The file the XML names, looked up from its folder upwards to `root`, else a same-stem one."""
    for name in names:
        folder = xml.parent
        while True:
            for candidate in (folder / name, folder / Path(name).name):
                if candidate.is_file():
                    return candidate
            if folder == root or root not in folder.parents:
                break
            folder = folder.parent
    for suffix in IMAGE_SUFFIXES:
        candidate = xml.with_suffix(suffix)
        if candidate.is_file():
            return candidate
    return None


def find_ground_truth(root: Path) -> list[GroundTruthPage]:
    """Every image with ground truth under `root`, once each (PAGE preferred over ALTO)."""
    pages: dict[Path, GroundTruthPage] = {}
    for xml in sorted(root.rglob("*.xml")):
        page = read_ground_truth(xml, root)
        if page is None:
            continue
        known = pages.get(page.image)
        if known is None or (known.format == "alto" and page.format == "page"):
            pages[page.image] = page
    return sorted(pages.values(), key=lambda p: str(p.image))
