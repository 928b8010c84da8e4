"""lxml helpers shared by the XML writers and readers."""

from __future__ import annotations

import io

from lxml import etree

XSI = "http://www.w3.org/2001/XMLSchema-instance"
XLINK = "http://www.w3.org/1999/xlink"


def serialise(root: etree._Element) -> bytes:
    """Indented UTF-8 with a declaration: the same tree gives the same bytes, always."""
    etree.indent(root, space="  ")
    content: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return content


def safe_parser() -> etree.XMLParser:
    """No network, no entity expansion: exported and imported files are untrusted input."""
    return etree.XMLParser(no_network=True, resolve_entities=False, huge_tree=True)


def parse(content: bytes) -> etree._Element:
    return etree.fromstring(content, safe_parser())


def number(value: float) -> str:
    """Confidences as short decimals (`0.93`), stable across platforms."""
    return format(round(value, 4), "g")


def root_namespace(content: bytes) -> str:
    """The namespace of the root element, read without parsing the rest."""
    events = etree.iterparse(
        io.BytesIO(content), events=("start",), no_network=True, resolve_entities=False
    )
    for _, element in events:
        return etree.QName(element).namespace or ""
    return ""
