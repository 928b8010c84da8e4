from __future__ import annotations

from lxml import etree
from syrupy.assertion import SnapshotAssertion

from exporter.adapters.mets_writer import METS
from exporter.adapters.xml_common import XLINK
from exporter.application.manuscript import build_mets
from exporter.domain.manuscript import Manuscript

NS = {"m": METS, "xlink": XLINK}


def test_mets_matches_its_snapshot(
    manuscript: Manuscript, base_url: str, snapshot: SnapshotAssertion
) -> None:
    assert build_mets(manuscript, base_url).content.decode() == snapshot


def test_mets_files_resolve_through_the_gateway(manuscript: Manuscript, base_url: str) -> None:
    root = etree.fromstring(build_mets(manuscript, base_url).content)
    analysed = manuscript.pages[1].registered.page_id
    hrefs = {
        group.get("USE"): [f.get(f"{{{XLINK}}}href") for f in group.iterfind(".//m:FLocat", NS)]
        for group in root.iterfind(".//m:fileGrp", NS)
    }
    assert hrefs["ALTO"] == [f"{base_url}/v1/pages/{analysed}/alto"]
    assert hrefs["PAGE"] == [f"{base_url}/v1/pages/{analysed}/page"]
    assert hrefs["TEXT"] == [f"{base_url}/v1/pages/{analysed}/text"]
    assert hrefs["ANNOTATIONS"] == [f"{base_url}/v1/pages/{analysed}/annotations"]
    assert len(hrefs["IMAGE"]) == 2


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
