"""Q1 and the raw-loop half of B6: quality and cost of Recto's TesseractEngine.

Q1: CER per GT page in `<corpora>/ocr-gt` (whitespace-normalised NFC) of TesseractEngine and
of the plain `tesseract IMAGE stdout -l LANG` CLI with OMP_THREAD_LIMIT=1, same languages.
B6 (raw half): seconds per page of TesseractEngine (bytes in, `PageAnalysis` out, through the
async port) against a plain loop calling tesserocr on the same image files, same process,
one API per language set reused, as a hand-written script would. Medians of `--runs` runs.
Prints a table and writes `bench/results/analyzer_ocr.json`. Never fails on time.

    uv run python bench/analyzer_ocr.py [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import subprocess
import sys
import time
from importlib.metadata import version
from pathlib import Path

os.environ.setdefault("OMP_THREAD_LIMIT", "1")

import tesserocr  # after OMP_THREAD_LIMIT: libtesseract reads it when it loads

sys.path.insert(0, str(Path(__file__).parent))
from benchlib import summary, write_results

from analyzer.adapters.ground_truth import find_ground_truth
from analyzer.adapters.images import image_size
from analyzer.adapters.tessdata import tessdata_path
from analyzer.adapters.tesseract import TesseractEngine
from analyzer.application.cer import cer
from analyzer.application.evaluation import languages_for
from analyzer.application.ports import PageInput
from analyzer.testing import tesseract_cli_text
from contracts import EngineStep
from infra.testing.corpora import corpora_root


def cli_text(image: Path, languages: list[str]) -> tuple[str, float]:
    started = time.perf_counter()
    text = tesseract_cli_text(image, languages)
    return text, time.perf_counter() - started


def raw_loop(
    pages: list[tuple[Path, list[str]]], apis: dict[str, tesserocr.PyTessBaseAPI]
) -> list[float]:
    """The floor: tesserocr reads the file, recognises, returns the text."""
    seconds = []
    for image, languages in pages:
        started = time.perf_counter()
        api = apis["+".join(languages)]
        api.SetImageFile(str(image))
        api.GetUTF8Text()
        seconds.append(time.perf_counter() - started)
    return seconds


async def recto_loop(
    pages: list[tuple[Path, list[str]]], engine: TesseractEngine
) -> tuple[list[float], list[str]]:
    """Recto's route: bytes → TesseractEngine.analyse (worker thread) → PageAnalysis."""
    seconds, texts = [], []
    for image, languages in pages:
        started = time.perf_counter()
        data = image.read_bytes()
        size = image_size(data)
        page = PageInput(data, hashlib.sha256(data).hexdigest(), size, size, image.name)
        analysis = await engine.analyse(
            page, EngineStep(engine="tesseract", languages=languages), None
        )
        texts.append(analysis.text())
        seconds.append(time.perf_counter() - started)
    return seconds, texts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=int(os.environ.get("RECTO_BENCH_RUNS", "3")))
    args = parser.parse_args()
    root = corpora_root()
    if root is None:
        sys.exit("corpora not found: set RECTO_CORPORA to the shared corpora folder")
    gt_dir = root / "ocr-gt"
    truths = [t for t in find_ground_truth(gt_dir)]
    pages = [(t.image, languages_for(t.image)) for t in truths]
    engine = TesseractEngine()
    apis = {
        "+".join(langs): tesserocr.PyTessBaseAPI(path=str(tessdata_path()), lang="+".join(langs))
        for _, langs in pages
    }
    # Warm both routes once (language data loading is a one-off per process for both).
    asyncio.run(recto_loop(pages[:1], engine))
    raw_loop(pages[:1], apis)

    # Interleave the routes page by page, alternating which goes first, so that drift in a
    # shared machine's load falls on both alike.
    recto_runs: list[list[float]] = [[] for _ in range(args.runs)]
    raw_runs: list[list[float]] = [[] for _ in range(args.runs)]
    texts: list[str] = []
    for run in range(args.runs):
        for page in pages:
            if run % 2:
                raw_runs[run] += raw_loop([page], apis)
            seconds, text = asyncio.run(recto_loop([page], engine))
            recto_runs[run] += seconds
            if not run % 2:
                raw_runs[run] += raw_loop([page], apis)
            if run == 0:
                texts += text

    rows, per_page = [], []
    for index, (truth, (image, languages)) in enumerate(zip(truths, pages, strict=True)):
        baseline, cli_seconds = cli_text(image, languages)
        has_text = bool(truth.text.strip())
        recto_s = summary([run[index] for run in recto_runs])
        raw_s = summary([run[index] for run in raw_runs])
        entry = {
            "image": str(image.relative_to(gt_dir)),
            "languages": languages,
            "cer_recto": cer(truth.text, texts[index]) if has_text else None,
            "cer_cli": cer(truth.text, baseline) if has_text else None,
            "seconds_recto": recto_s,
            "seconds_raw_tesserocr": raw_s,
            "seconds_cli_single_run": cli_seconds,
            "raw_over_recto": raw_s["median"] / recto_s["median"],
        }
        per_page.append(entry)
        cer_cells = (
            f"{entry['cer_recto']:7.2%} {entry['cer_cli']:7.2%}"
            if has_text
            else f"{'n/a':>7} {'n/a':>7}"
        )
        rows.append(
            f"{entry['image'][:52]:52} {'+'.join(languages):8} {cer_cells} "
            f"{recto_s['median']:6.2f} {raw_s['median']:6.2f} {entry['raw_over_recto']:5.2f}"
        )

    recto_totals = [sum(run) for run in recto_runs]
    raw_totals = [sum(run) for run in raw_runs]
    measured = [p for p in per_page if p["cer_recto"] is not None]
    worse = [p["image"] for p in measured if p["cer_recto"] > p["cer_cli"]]
    figures = {
        "pages": per_page,
        "seconds_per_page_recto": summary([t / len(pages) for t in recto_totals]),
        "seconds_per_page_raw_tesserocr": summary([t / len(pages) for t in raw_totals]),
        "throughput_ratio_recto_over_raw": min(raw_totals) / min(recto_totals),
        "throughput_ratio_medians": summary(raw_totals)["median"] / summary(recto_totals)["median"],
        "pages_where_recto_cer_is_worse_than_cli": worse,
        "mean_cer_recto": sum(p["cer_recto"] for p in measured) / len(measured),
        "mean_cer_cli": sum(p["cer_cli"] for p in measured) / len(measured),
        "versions": {
            "tesserocr": version("tesserocr"),
            "libtesseract (tesserocr)": tesserocr.tesseract_version().splitlines()[0],
            "tesseract CLI": subprocess.run(
                ["tesseract", "--version"], capture_output=True, text=True, check=True
            ).stdout.splitlines()[0],
            "tessdata": str(tessdata_path()),
        },
        "omp_thread_limit": os.environ["OMP_THREAD_LIMIT"],
    }
    print(f"{'page':52} {'langs':8} {'recto':>7} {'cli':>7} {'s/rec':>6} {'s/raw':>6} {'ratio':>5}")
    print(*rows, sep="\n")
    print(
        f"s/page: recto {figures['seconds_per_page_recto']['median']:.2f}, "
        f"raw tesserocr {figures['seconds_per_page_raw_tesserocr']['median']:.2f}; "
        f"raw/recto throughput ratio (medians) {figures['throughput_ratio_medians']:.3f}; "
        f"mean CER recto {figures['mean_cer_recto']:.2%} vs cli {figures['mean_cer_cli']:.2%}; "
        f"worse than the CLI: {worse or 'none'}"
    )
    print("written:", write_results("analyzer_ocr", figures))


if __name__ == "__main__":
    main()
