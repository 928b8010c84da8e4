from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterable
from typing import Any
from urllib.parse import urljoin

import iiif_prezi3
from lxml import etree

from contracts import ImageRef
from exporter.application.bundle import stream_bundle
from exporter.domain.manuscript import Manuscript, ManuscriptPage
from exporter.formats import xsd
from exporter.formats.alto_reader import read_alto
from exporter.formats.xml_common import XLINK

IMAGE = bytes(range(256)) * 40
BASE = "https://files.example/unpacked-bundle/"


def _image(page: ManuscriptPage) -> object:
    def opener() -> Iterable[bytes]:
        return [IMAGE[:5000], IMAGE[5000:]]

    return opener if page.registered.index == 0 else None


def _bundle(manuscript: Manuscript, base_url: str) -> bytes:
    master = ImageRef(
        sha256="0" * 64, media_type="image/png", bytes=len(IMAGE), width=2000, height=3000
    )
    pages = [ManuscriptPage(p.registered, p.analysis, master) for p in manuscript.pages]
    chunks = stream_bundle(manuscript.imported, iter(pages), base_url, images=_image)
    return b"".join(chunks)


def test_the_bundle_holds_every_export_of_the_manuscript(
    manuscript: Manuscript, base_url: str
) -> None:
    archive = zipfile.ZipFile(io.BytesIO(_bundle(manuscript, base_url)))
    assert archive.testzip() is None
    assert sorted(archive.namelist()) == [
        "alto/0001.alto.xml",
        "annotations/0001.annotations.json",
        "hocr/0001.hocr",
        "images/0001.png",
        "manifest.json",
        "mets.xml",
        "page/0001.page.xml",
        "text/0001.txt",
        "word-annotations/0001.word-annotations.json",
    ]
    assert archive.read("images/0001.png") == IMAGE
    xsd.validate(xsd.Schema.ALTO, archive.read("alto/0001.alto.xml"))
    xsd.validate(xsd.Schema.PAGE, archive.read("page/0001.page.xml"))
    xsd.validate(xsd.Schema.METS, archive.read("mets.xml"))
    manifest = json.loads(archive.read("manifest.json"))
    assert len(iiif_prezi3.Manifest(**resolved(manifest, BASE)).items) == 2
    assert read_alto(archive.read("alto/0001.alto.xml")).lines()[0].text == "Livre d'heures"
    assert archive.read("text/0001.txt").decode().startswith("Livre d'heures\n")


def resolved(document: Any, base: str) -> Any:
    """Every relative id made absolute against the folder the bundle is served from."""
    if isinstance(document, list):
        return [resolved(item, base) for item in document]
    if isinstance(document, dict):
        return {
            key: urljoin(base, value) if key == "id" else resolved(value, base)
            for key, value in document.items()
        }
    return document


def relative_ids(document: Any) -> set[str]:
    if isinstance(document, list):
        return {found for item in document for found in relative_ids(item)}
    if isinstance(document, dict):
        own = {document["id"]} if "://" not in str(document.get("id", "://")) else set()
        return own | {found for value in document.values() for found in relative_ids(value)}
    return set()


def test_the_bundle_names_its_own_files_by_relative_paths(
    manuscript: Manuscript, base_url: str
) -> None:
    archive = zipfile.ZipFile(io.BytesIO(_bundle(manuscript, base_url)))
    names = set(archive.namelist())
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["id"] == "manifest.json"
    files = relative_ids(manifest)
    assert {"images/0001.png", "annotations/0001.annotations.json", "mets.xml"} <= files
    # Every relative id is a file of the bundle (annotations are addressed inside their page).
    assert {name.split("#")[0] for name in files} <= names
    mets = etree.fromstring(archive.read("mets.xml"))
    locations = mets.findall(".//{http://www.loc.gov/METS/}FLocat")
    assert locations
    for location in locations:
        assert (location.get("LOCTYPE"), location.get("OTHERLOCTYPE")) == ("OTHER", "FILE")
        assert location.get(f"{{{XLINK}}}href") in names
    page = etree.fromstring(archive.read("page/0001.page.xml"))
    assert page.get("pcGtsId") == "OCR-D-OCR-PAGE_0001"
    assert page.find("{*}Page").get("imageFilename") == "images/0001.png"


def test_the_bundle_is_byte_identical_on_re_export(manuscript: Manuscript, base_url: str) -> None:
    assert _bundle(manuscript, base_url) == _bundle(manuscript, base_url)
