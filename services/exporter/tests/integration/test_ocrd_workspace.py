"""An unpacked bundle of the real ground-truth pages is a workspace OCR-D's own validator accepts,
with a translation and a commentary of each page beside its transcription (ADR 0024).

`ocrd workspace validate` (the `ocrd` package in the dev group) runs every default check —
METS schema and unique identifier, file URLs, PAGE schema, text consistency across levels,
image dimensions, imageFilename — plus coordinate consistency for polygons and baselines.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest
from dinglehopper.ocr_files import page_text
from lxml import etree

from exporter.application.bundle import stream_bundle
from exporter.application.render import render_page
from exporter.domain.formats import PageFormat
from exporter.domain.manuscript import ManuscriptPage
from exporter.domain.urls import GatewayUrls
from exporter.formats.page_writer import write_page
from exporter.testing import GroundTruth, ground_truth_manuscript, hocr_problems, with_stages

pytestmark = pytest.mark.slow

OCRD = Path(sys.executable).with_name("ocrd")


def bundle_of(gt: GroundTruth) -> bytes:
    return b"".join(stream_bundle(gt.imported, gt.pages, "https://recto.example", images=gt.opener))


def validate(workspace: Path, *options: str) -> etree._Element:
    """OCR-D's report; the command's exit status must agree with it."""
    command = [str(OCRD), "workspace", "-d", str(workspace), "validate", *options]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    report = etree.fromstring(done.stdout[done.stdout.index("<report") :].encode())
    assert (done.returncode == 0) == (report.get("valid") == "true"), done.stderr[-2000:]
    return report


@pytest.fixture(scope="module")
def ground_truth(corpora: Path) -> GroundTruth:
    return ground_truth_manuscript(corpora)


@pytest.fixture(scope="module")
def workspace(ground_truth: GroundTruth, tmp_path_factory: pytest.TempPathFactory) -> Path:
    staged = [
        ManuscriptPage(page.registered, with_stages(page.analysis), page.master)
        for page in ground_truth.pages
        if page.analysis is not None
    ]
    folder = tmp_path_factory.mktemp("bundle")
    bundle = bundle_of(replace(ground_truth, pages=staged))
    zipfile.ZipFile(io.BytesIO(bundle)).extractall(folder)
    return folder


def test_ocrd_accepts_the_unpacked_bundle_of_the_ground_truth(workspace: Path) -> None:
    report = validate(workspace, "--page-coordinate-consistency", "both")
    problems = [e.text for e in report if e.tag in ("error", "warning")]
    assert problems == []
    assert report.get("valid") == "true"
    pages = sorted((workspace / "page").iterdir())
    assert len(pages) == len(list((workspace / "images").iterdir())) == 13
    # Each stage's text files are a file group of the workspace, one file per page.
    mets = etree.parse(str(workspace / "mets.xml"))
    groups = {g.get("USE"): len(g) for g in mets.iterfind(".//{*}fileGrp")}
    for stage in ("TRANSLATION", "KOMMENTAR"):
        assert groups[f"OCR-D-OCR-TXT-STAGE-{stage}"] == 13
        assert groups[f"OCR-D-OCR-IIIF-STAGE-{stage}"] == 13


def test_dinglehopper_reads_each_staged_page_as_the_transcription_alone(
    workspace: Path, ground_truth: GroundTruth
) -> None:
    with_translation = []
    for number, source in enumerate(ground_truth.pages, start=1):
        assert source.analysis is not None
        staged = (workspace / "page" / f"{number:04d}.page.xml").read_bytes()
        if b'comments="stage:translation kind:translation lang:en scope:' in staged:
            with_translation.append(number)
        alone = render_page(
            PageFormat.PAGE,
            source.analysis,
            page_id=source.registered.page_id,
            urls=GatewayUrls("https://recto.example"),
        ).content
        for level in ("region", "line"):
            read = [
                page_text(etree.ElementTree(etree.fromstring(xml)), textequiv_level=level)
                for xml in (staged, alone)
            ]
            assert read[0] == read[1], (number, level)
    # Hilbert's page has no region with text, so nothing to carry a stage's TextEquiv.
    assert with_translation == [n for n in range(1, 14) if n != 7]


def test_every_xml_file_of_the_bundle_is_valid_against_its_official_schema(
    workspace: Path, corpora: Path
) -> None:
    schemas = corpora / "schemas"
    for folder, schema in (
        ("alto", "alto-4-4.xsd"),
        ("page", "pagecontent-2019-07-15.xsd"),
    ):
        xsd = etree.XMLSchema(etree.parse(str(schemas / schema)))
        for path in sorted((workspace / folder).iterdir()):
            assert xsd.validate(etree.parse(str(path))), (path.name, xsd.error_log.last_error)


def test_every_hocr_file_of_the_bundle_is_well_formed_hocr(workspace: Path) -> None:
    files = sorted((workspace / "hocr").iterdir())
    assert len(files) == 13
    for path in files:
        assert hocr_problems(path.read_bytes()) == [], path.name


def test_ocrd_would_reject_the_ground_truth_as_it_came(
    workspace: Path, ground_truth: GroundTruth, tmp_path: Path
) -> None:
    # The same workspace with each PAGE file written straight from the ground truth, without
    # the export's consistency rules: the validator finds what the user found.
    workspace = Path(shutil.copytree(workspace, tmp_path / "raw"))
    for number, source in enumerate(ground_truth.pages, start=1):
        page = workspace / "page" / f"{number:04d}.page.xml"
        original = etree.fromstring(page.read_bytes()).find("{*}Page").get("imageFilename")
        assert source.analysis is not None
        raw = write_page(
            source.analysis, image_name=original, pcgts_id=f"OCR-D-OCR-PAGE_{number:04d}"
        )
        page.write_bytes(raw.content)
    report = validate(workspace, "--page-coordinate-consistency", "both")
    errors = [e.text or "" for e in report if e.tag == "error"]
    assert report.get("valid") == "false"
    assert any("not within parent" in error for error in errors)
