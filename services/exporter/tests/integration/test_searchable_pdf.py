"""The searchable PDF of the ground-truth pages: poppler reads back each page's transcription
from the invisible text layer and renders each page's image."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pikepdf
import pytest
from PIL import Image
from rapidfuzz.distance import Levenshtein

from exporter.application.searchable_pdf import write_searchable_pdf
from exporter.domain.formats import plain_text
from exporter.domain.manuscript import ManuscriptPage
from exporter.formats.pdf_writer import PageImageData
from exporter.testing import GroundTruth, ground_truth_manuscript

pytestmark = pytest.mark.slow


def words_of(text: str) -> str:
    """Text with every run of white space made one space: layout is not the text layer's job."""
    return re.sub(r"\s+", " ", text).strip()


@pytest.fixture(scope="module")
def ground_truth(corpora: Path) -> GroundTruth:
    return ground_truth_manuscript(corpora)


@pytest.fixture(scope="module")
def searchable(ground_truth: GroundTruth, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("pdf")

    def image(page: ManuscriptPage) -> PageImageData:
        assert page.master is not None
        return PageImageData(ground_truth.images[page.registered.index].read_bytes(), "")

    target = folder / "searchable.pdf"
    count = write_searchable_pdf(ground_truth.pages, image, target, folder)
    assert count == len(ground_truth.pages)
    return target


def test_pdftotext_reads_each_page_as_its_transcription(
    searchable: Path, ground_truth: GroundTruth
) -> None:
    rates = {}
    for number, page in enumerate(ground_truth.pages, start=1):
        assert page.analysis is not None
        expected = words_of(plain_text(page.analysis.text()).decode())
        pages = ["-f", str(number), "-l", str(number)]
        extracted = subprocess.run(
            ["pdftotext", "-raw", "-enc", "UTF-8", *pages, str(searchable), "-"],
            capture_output=True,
            check=True,
            timeout=120,
        ).stdout.decode()
        rate = Levenshtein.distance(words_of(extracted), expected) / max(1, len(expected))
        rates[page.registered.label] = round(rate, 4)
    assert all(rate <= 0.01 for rate in rates.values()), rates


def test_pdftoppm_renders_each_page_image(
    searchable: Path, ground_truth: GroundTruth, tmp_path: Path
) -> None:
    for number, page in enumerate(ground_truth.pages, start=1):
        out = tmp_path / f"page-{number}"
        pages = ["-f", str(number), "-l", str(number), "-singlefile"]
        subprocess.run(
            ["pdftoppm", *pages, "-r", "20", "-png", str(searchable), str(out)],
            check=True,
            timeout=120,
        )
        with Image.open(f"{out}.png") as rendered:
            low, high = rendered.convert("L").getextrema()
        # A scan has ink and paper: a blank or missing image renders one flat shade.
        assert high - low > 60, page.registered.label


def test_each_page_keeps_the_image_at_its_pixel_size(
    searchable: Path, ground_truth: GroundTruth
) -> None:
    with pikepdf.open(searchable) as pdf:
        assert len(pdf.pages) == len(ground_truth.pages)
        for pdf_page, page in zip(pdf.pages, ground_truth.pages, strict=True):
            (image,) = pdf_page.get_images().values()
            assert (image.Width, image.Height) == page.image_size()
            content = pdf_page.Contents.read_bytes()
            assert page.analysis is not None
            # Invisible text (neither filled nor stroked) wherever the page has text.
            assert (b"3 Tr" in content) == bool(page.analysis.lines())
