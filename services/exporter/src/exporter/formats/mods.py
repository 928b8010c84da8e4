"""The manuscript's descriptive metadata as MODS 3, for METS' `dmdSec`.

What the source manifest said travels here: its label as the title, its id and Recto's as
identifiers (OCR-D requires a `mods:identifier` of type purl, urn, doi or url), rights and the
required statement as access conditions, its metadata pairs as notes, the provider as a name,
and each `seeAlso` as a related record in another format.
"""

from __future__ import annotations

from lxml import etree

from contracts import ManuscriptImported
from exporter.domain.xmltext import TextCleaner
from exporter.formats.xml_common import XLINK

MODS = "http://www.loc.gov/mods/v3"
_WEB = ("http://", "https://")


def _m(
    parent: etree._Element, tag: str, text: str | None = None, **attributes: str
) -> etree._Element:
    element = etree.SubElement(parent, f"{{{MODS}}}{tag}", attributes)
    if text is not None:
        element.text = text
    return element


def write_mods(parent: etree._Element, imported: ManuscriptImported, clean: TextCleaner) -> None:
    mods = _m(parent, "mods", version="3.8")
    title = clean(imported.label or str(imported.manuscript_id))
    _m(_m(mods, "titleInfo"), "title", title)
    _m(mods, "identifier", f"urn:uuid:{imported.manuscript_id}", type="urn")
    if imported.manifest_id and imported.manifest_id.startswith(_WEB):
        _m(mods, "identifier", clean(imported.manifest_id), type="url")
    if imported.provider:
        name = _m(mods, "name", type="corporate")
        _m(name, "namePart", clean(imported.provider))
        _m(_m(name, "role"), "roleTerm", "provider", type="text")
    for entry in imported.metadata:
        _m(mods, "note", clean(entry.value), type=clean(entry.label))
    if imported.rights:
        rights = _m(mods, "accessCondition", clean(imported.rights), type="use and reproduction")
        if imported.rights.startswith(_WEB):
            rights.set(f"{{{XLINK}}}href", clean(imported.rights))
    if (statement := imported.required_statement) is not None:
        _m(
            mods,
            "accessCondition",
            clean(statement.value),
            type="use and reproduction",
            displayLabel=clean(statement.label) or "Required statement",
        )
    for link in imported.see_also:
        related = _m(mods, "relatedItem", type="otherFormat")
        if link.label:
            related.set("displayLabel", clean(link.label))
        _m(_m(related, "location"), "url", clean(link.id))
        if link.format:
            _m(_m(related, "physicalDescription"), "internetMediaType", clean(link.format))
    if imported.manifest_id and imported.manifest_id.startswith(_WEB):
        _m(_m(mods, "location"), "url", clean(imported.manifest_id), note="IIIF manifest")
