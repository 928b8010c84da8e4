"""An unpacked bundle of the real ground-truth pages is a workspace OCR-D's own validator accepts.

`ocrd workspace validate` (the `ocrd` package in the dev group) runs every default check —
METS schema and unique identifier, file URLs, PAGE schema, text consistency across levels,
image dimensions, imageFilename — plus coordinate consistency for polygons and baselines.
"""

from __future__ import annotations

import io
import mimetypes
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterable
from pathlib import Path
from uuid import UUID

import pytest
from lxml import etree
from PIL import Image

from contracts import ImageRef, ManuscriptImported, MetadataEntry, PageAnalysis, PageRegistered
from exporter.adapters.alto_reader import read_alto
from exporter.adapters.page_reader import read_page
from exporter.adapters.page_writer import write_page
from exporter.application.bundle import ImageOpener, stream_bundle
from exporter.domain.manuscript import ManuscriptPage

pytestmark = pytest.mark.slow

OCRD = Path(sys.executable).with_name("ocrd")
MANUSCRIPT = UUID("00000000-0000-4000-8000-0000000000aa")


def ground_truth(corpora: Path) -> list[tuple[Path, Path]]:
    """Every ground-truth transcription with its page image."""
    root = corpora / "ocr-gt"
    pairs = []
    for xml in sorted(p for p in root.rglob("*.xml") if p.name != "mets.xml"):
        if xml.parts[-3] == "ocrd-kant_aufklaerung_1784":
            number = xml.stem.split("_")[1]
            image = xml.parents[1] / "OCR-D-IMG" / f"INPUT_{number}.tif"
        else:
            image = next(
                xml.with_suffix(s) for s in (".jpg", ".png", ".tif") if xml.with_suffix(s).exists()
            )
        pairs.append((xml, image))
    return pairs


def analysis_of(xml: Path) -> PageAnalysis:
    content = xml.read_bytes()
    root = etree.fromstring(content)
    return read_page(content) if etree.QName(root).localname == "PcGts" else read_alto(content)


def bundle_of(corpora: Path) -> bytes:
    pairs = ground_truth(corpora)
    pages, images = [], {}
    for index, (xml, image) in enumerate(pairs):
        with Image.open(image) as opened:
            width, height = opened.size
        master = ImageRef(
            sha256="0" * 64,
            media_type=mimetypes.guess_type(image.name)[0] or "image/jpeg",
            bytes=image.stat().st_size,
            width=width,
            height=height,
        )
        registered = PageRegistered(
            page_id=UUID(int=0x100 + index),
            manuscript_id=MANUSCRIPT,
            corpus_id=UUID(int=2),
            index=index,
            label=xml.stem,
        )
        pages.append(ManuscriptPage(registered, analysis_of(xml), master))
        images[index] = image
    imported = ManuscriptImported(
        manuscript_id=MANUSCRIPT,
        corpus_id=UUID(int=2),
        label="Ground truth",
        page_count=len(pages),
        manifest_id="https://library.example/iiif/gt/manifest",
        metadata=[MetadataEntry(label="Source", value="corpora/ocr-gt")],
    )

    def opener(page: ManuscriptPage) -> ImageOpener:
        def chunks() -> Iterable[bytes]:
            return [images[page.registered.index].read_bytes()]

        return chunks

    return b"".join(stream_bundle(imported, pages, "https://recto.example", images=opener))


def validate(workspace: Path, *options: str) -> etree._Element:
    """OCR-D's report; the command's exit status must agree with it."""
    command = [str(OCRD), "workspace", "-d", str(workspace), "validate", *options]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    report = etree.fromstring(done.stdout[done.stdout.index("<report") :].encode())
    assert (done.returncode == 0) == (report.get("valid") == "true"), done.stderr[-2000:]
    return report


@pytest.fixture(scope="module")
def workspace(corpora: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("bundle")
    zipfile.ZipFile(io.BytesIO(bundle_of(corpora))).extractall(folder)
    return folder


def test_ocrd_accepts_the_unpacked_bundle_of_the_ground_truth(workspace: Path) -> None:
    report = validate(workspace, "--page-coordinate-consistency", "both")
    problems = [e.text for e in report if e.tag in ("error", "warning")]
    assert problems == []
    assert report.get("valid") == "true"
    pages = sorted((workspace / "page").iterdir())
    assert len(pages) == len(list((workspace / "images").iterdir())) == 13


def test_ocrd_would_reject_the_ground_truth_as_it_came(
    workspace: Path, corpora: Path, tmp_path: Path
) -> None:
    # The same workspace with each PAGE file written straight from the ground truth, without
    # the export's consistency rules: the validator finds what the user found.
    workspace = Path(shutil.copytree(workspace, tmp_path / "raw"))
    for number, (xml, _image) in enumerate(ground_truth(corpora), start=1):
        page = workspace / "page" / f"{number:04d}.page.xml"
        original = etree.fromstring(page.read_bytes()).find("{*}Page").get("imageFilename")
        raw = write_page(
            analysis_of(xml), image_name=original, pcgts_id=f"OCR-D-OCR-PAGE_{number:04d}"
        )
        page.write_bytes(raw.content)
    report = validate(workspace, "--page-coordinate-consistency", "both")
    errors = [e.text or "" for e in report if e.tag == "error"]
    assert report.get("valid") == "false"
    assert any("not within parent" in error for error in errors)
