from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterable

import iiif_prezi3

from contracts import ImageRef
from exporter.adapters import xsd
from exporter.adapters.alto_reader import read_alto
from exporter.application.bundle import stream_bundle
from exporter.domain.manuscript import Manuscript, ManuscriptPage

IMAGE = bytes(range(256)) * 40


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
        "images/0001.png",
        "manifest.json",
        "mets.xml",
        "page/0001.page.xml",
        "text/0001.txt",
    ]
    assert archive.read("images/0001.png") == IMAGE
    xsd.validate(xsd.Schema.ALTO, archive.read("alto/0001.alto.xml"))
    xsd.validate(xsd.Schema.PAGE, archive.read("page/0001.page.xml"))
    xsd.validate(xsd.Schema.METS, archive.read("mets.xml"))
    manifest = json.loads(archive.read("manifest.json"))
    assert len(iiif_prezi3.Manifest(**manifest).items) == 2
    assert read_alto(archive.read("alto/0001.alto.xml")).lines()[0].text == "Livre d'heures"
    assert archive.read("text/0001.txt").decode().startswith("Livre d'heures\n")


def test_the_bundle_is_byte_identical_on_re_export(manuscript: Manuscript, base_url: str) -> None:
    assert _bundle(manuscript, base_url) == _bundle(manuscript, base_url)
