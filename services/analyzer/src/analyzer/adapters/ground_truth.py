"""Read ground truth (PAGE any version, ALTO any version): line texts in document order."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lxml import etree

IMAGE_SUFFIXES = (".tif", ".tiff", ".jpg", ".jpeg", ".png", ".jp2")


@dataclass(frozen=True)
class GroundTruthPage:
    xml: Path
    image: Path
    format: str  # "page" or "alto"
    lines: list[str]

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def read_ground_truth(xml: Path, root: Path) -> GroundTruthPage | None:
    """The page this file describes, or None when it is neither PAGE nor ALTO or has no image."""
    tree = etree.parse(str(xml))
    namespace = etree.QName(tree.getroot()).namespace or ""
    if "primaresearch.org/PAGE" in namespace:
        lines = _page_lines(tree, namespace)
        names = tree.xpath("//p:Page/@imageFilename", namespaces={"p": namespace})
        kind = "page"
    elif "standards/alto" in namespace:
        lines = _alto_lines(tree, namespace)
        names = tree.xpath(
            "//a:sourceImageInformation/a:fileName/text()", namespaces={"a": namespace}
        )
        kind = "alto"
    else:
        return None
    image = _find_image(xml, root, [str(n).strip() for n in names])
    return None if image is None else GroundTruthPage(xml, image, kind, lines)


def _page_lines(tree: etree._ElementTree, namespace: str) -> list[str]:
    ns = {"p": namespace}
    lines = []
    for line in tree.iterfind(".//p:TextLine", ns):
        unicode = line.find("p:TextEquiv/p:Unicode", ns)
        if unicode is not None:
            text = unicode.text or ""
        else:
            words = line.iterfind("p:Word/p:TextEquiv/p:Unicode", ns)
            text = " ".join(w.text or "" for w in words)
        lines.append(text.strip())
    return lines


def _alto_lines(tree: etree._ElementTree, namespace: str) -> list[str]:
    ns = {"a": namespace}
    return [
        " ".join(s.get("CONTENT", "") for s in line.iterfind("a:String", ns)).strip()
        for line in tree.iterfind(".//a:TextLine", ns)
    ]


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
