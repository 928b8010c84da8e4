from __future__ import annotations

from lxml import etree
from syrupy.assertion import SnapshotAssertion

from contracts import MetadataEntry, SeeAlso
from exporter.application.manuscript import build_mets
from exporter.domain.manuscript import Manuscript
from exporter.formats.mets_writer import METS
from exporter.formats.mods import MODS
from exporter.formats.xml_common import XLINK

NS = {"m": METS, "xlink": XLINK, "mods": MODS}


def test_mets_matches_its_snapshot(
    manuscript: Manuscript, base_url: str, snapshot: SnapshotAssertion
) -> None:
    assert build_mets(manuscript, base_url).content.decode() == snapshot


def test_mets_files_resolve_through_the_gateway(manuscript: Manuscript, base_url: str) -> None:
    root = etree.fromstring(build_mets(manuscript, base_url).content)
    analyzed = manuscript.pages[1].registered.page_id
    hrefs = {
        group.get("USE"): [f.get(f"{{{XLINK}}}href") for f in group.iterfind(".//m:FLocat", NS)]
        for group in root.iterfind(".//m:fileGrp", NS)
    }
    assert hrefs["OCR-D-OCR-ALTO"] == [f"{base_url}/v1/pages/{analyzed}/alto"]
    assert hrefs["OCR-D-OCR-PAGE"] == [f"{base_url}/v1/pages/{analyzed}/page"]
    assert hrefs["OCR-D-OCR-TXT"] == [f"{base_url}/v1/pages/{analyzed}/text"]
    assert hrefs["OCR-D-OCR-IIIF"] == [f"{base_url}/v1/pages/{analyzed}/annotations"]
    assert len(hrefs["OCR-D-IMG"]) == 2
    assert {
        f.get("ID") for f in root.iterfind(".//m:fileGrp[@USE='OCR-D-OCR-PAGE']/m:file", NS)
    } == {"OCR-D-OCR-PAGE_0001"}


def test_mets_describes_the_manuscript_in_mods(manuscript: Manuscript, base_url: str) -> None:
    imported = manuscript.imported.model_copy(
        update={
            "required_statement": MetadataEntry(label="Attribution", value="Bibliothèque X"),
            "provider": "Bibliothèque X",
            "see_also": [SeeAlso(id="https://library.example/marc/1", format="application/marc")],
        }
    )
    root = etree.fromstring(build_mets(Manuscript(imported, manuscript.pages), base_url).content)
    mods = root.find("m:dmdSec/m:mdWrap[@MDTYPE='MODS']/m:xmlData/mods:mods", NS)
    assert mods.findtext("mods:titleInfo/mods:title", namespaces=NS) == "Heures à l'usage de Rome"
    identifiers = {i.get("type"): i.text for i in mods.iterfind("mods:identifier", NS)}
    assert identifiers == {
        "urn": f"urn:uuid:{imported.manuscript_id}",
        "url": "https://library.example/iiif/ms1/manifest",
    }
    conditions = [c.text for c in mods.iterfind("mods:accessCondition", NS)]
    assert conditions == ["http://creativecommons.org/licenses/by/4.0/", "Bibliothèque X"]
    assert mods.findtext("mods:note[@type='Shelfmark']", namespaces=NS) == "MS 1"
    related = mods.find("mods:relatedItem[@type='otherFormat']", NS)
    assert related.findtext("mods:location/mods:url", namespaces=NS) == (
        "https://library.example/marc/1"
    )
    logical = root.find("m:structMap[@TYPE='LOGICAL']/m:div", NS)
    assert logical.get("DMDID") == root.find("m:dmdSec", NS).get("ID")


def test_structure_maps_follow_page_order_and_ranges(manuscript: Manuscript, base_url: str) -> None:
    root = etree.fromstring(build_mets(manuscript, base_url).content)
    physical = root.findall(".//m:structMap[@TYPE='PHYSICAL']/m:div/m:div", NS)
    assert [(d.get("ORDER"), d.get("ORDERLABEL")) for d in physical] == [
        ("1", "f. 1r"),
        ("2", "f. 2r"),
    ]
    logical = root.find(".//m:structMap[@TYPE='LOGICAL']/m:div", NS)
    assert [d.get("LABEL") for d in logical.iter(f"{{{METS}}}div")] == [
        "Heures à l'usage de Rome",
        "Calendar",
        "January",
    ]
    links = {
        (link.get(f"{{{XLINK}}}from"), link.get(f"{{{XLINK}}}to"))
        for link in root.iterfind(".//m:smLink", NS)
    }
    january = logical.find(".//m:div[@LABEL='January']", NS).get("ID")
    assert (january, physical[1].get("ID")) in links
