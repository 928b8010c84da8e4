"""Q1: Recto's TesseractEngine against the plain tesseract CLI on the real GT pages."""

import shutil
from pathlib import Path

import pytest

from analyzer.adapters.ground_truth import find_ground_truth
from analyzer.adapters.tesseract import TesseractEngine
from analyzer.application.cer import cer
from analyzer.application.evaluation import evaluate_folder
from analyzer.testing import tesseract_cli_text, tesseract_cli_version

# Recto's engine and the CLI link the same libtesseract (tesserocr is built against Debian's,
# ADR 0007), so any difference in CER is Recto's own doing: image handling, languages, text
# assembly. Hence no tolerance at all.


@pytest.mark.slow
async def test_recto_tesseract_is_no_worse_than_the_tesseract_cli(
    corpora: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if shutil.which("tesseract") is None:
        pytest.skip(
            "the tesseract CLI is not installed (apt-get install tesseract-ocr): no baseline"
        )
    engine = TesseractEngine()
    assert engine.version == tesseract_cli_version(), (
        "tesserocr must link the CLI's libtesseract for this comparison: run `make setup`"
    )
    gt_dir = corpora / "ocr-gt"
    truths = {str(t.image.relative_to(gt_dir)): t for t in find_ground_truth(gt_dir)}

    report = await evaluate_folder(gt_dir, engine)

    # Every image with ground truth beside it was evaluated, each with its languages.
    assert sorted(p.image for p in report.pages) == sorted(truths)
    assert len(report.pages) == 11
    rows, worse = [], []
    for page in report.pages:
        baseline = tesseract_cli_text(gt_dir / page.image, page.languages)
        if page.cer is None:
            assert not truths[page.image].lines, page.image  # only layout-only GT has no CER
            rows.append(f"{page.image[:60]:60} {'+'.join(page.languages):8} {'n/a':>7} {'n/a':>7}")
            continue
        cli_cer = cer(truths[page.image].text, baseline)
        rows.append(
            f"{page.image[:60]:60} {'+'.join(page.languages):8} {page.cer:7.2%} {cli_cer:7.2%}"
        )
        if page.cer > cli_cer:
            worse.append(f"{page.image}: recto {page.cer:.2%} > cli {cli_cer:.2%}")
    with capsys.disabled():
        print(f"\n{'page':60} {'langs':8} {'recto':>7} {'cli':>7}", *rows, sep="\n")
        print(f"overall CER (recto): {report.overall_cer:.2%}")
    assert not worse, worse
    assert report.overall_cer is not None
    assert report.model_dump_json()  # the report is JSON-dumpable for `recto eval`
