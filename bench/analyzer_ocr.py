"""Q1 and the raw-loop half of B6: quality and cost of Recto's TesseractEngine, per language set.

Each GT page in `<corpora>/ocr-gt` is read with every language set its collection profile's
Tesseract step names (German prints: deu+frk and frk; others: one set), on the original file.
For each set: seconds per page (median of `--runs`), CER as OCR-D measures it, and the plain
`tesseract IMAGE stdout -l LANG` CLI's CER (OMP_THREAD_LIMIT=1, its lines shaped as Recto's).
Then the cost of a two-candidate step beside the quality it buys: the seconds of both sets
against one, and the CER of the kept candidate (higher mean word confidence) against each set
alone. B6 (raw half): TesseractEngine against a plain loop calling tesserocr on the same files
with each page's first set. Prints tables and writes `bench/results/analyzer_ocr.json`.
Never fails on time.

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
from typing import Any

os.environ.setdefault("OMP_THREAD_LIMIT", "1")

import tesserocr  # after OMP_THREAD_LIMIT: libtesseract reads it when it loads

sys.path.insert(0, str(Path(__file__).parent))
from benchlib import summary, write_results

from analyzer.adapters.tessdata import tessdata_path
from analyzer.adapters.tesseract import TesseractEngine
from analyzer.application.cer import cer
from analyzer.application.evaluation import collection_profile, offline_plan, recognised_text
from analyzer.application.ports import PageInput
from analyzer.formats.ground_truth import GroundTruthPage, find_ground_truth
from analyzer.formats.images import image_size
from analyzer.testing import tesseract_cli_lines
from contracts import EngineStep, PageAnalysis
from infra.testing.corpora import corpora_root


def candidate_sets(truth: GroundTruthPage) -> list[list[str]]:
    """The language sets the page's profile tries, in its order."""
    profile = collection_profile(truth.image)
    return [run.languages or profile.languages for run in offline_plan(profile).primary.runs()]


def read(engine: TesseractEngine, image: Path, languages: list[str]) -> PageAnalysis:
    """Recto's route: bytes → TesseractEngine.analyze (worker thread) → PageAnalysis."""
    data = image.read_bytes()
    size = image_size(data)
    page = PageInput(data, hashlib.sha256(data).hexdigest(), size, size, image.name)
    step = EngineStep(engine="tesseract", languages=languages)
    return asyncio.run(engine.analyze(page, step, None))


def raw_seconds(api: tesserocr.PyTessBaseAPI, image: Path) -> float:
    """The floor: tesserocr reads the file, recognises, returns the text."""
    started = time.perf_counter()
    api.SetImageFile(str(image))
    api.GetUTF8Text()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=int(os.environ.get("RECTO_BENCH_RUNS", "3")))
    args = parser.parse_args()
    root = corpora_root()
    if root is None:
        sys.exit("corpora not found: set RECTO_CORPORA to the shared corpora folder")
    gt_dir = root / "ocr-gt"
    truths = [t for t in find_ground_truth(gt_dir) if t.text.strip()]
    engine = TesseractEngine()
    apis: dict[str, tesserocr.PyTessBaseAPI] = {}

    per_page: list[dict[str, Any]] = []
    for truth in truths:
        entry: dict[str, Any] = {"image": str(truth.image.relative_to(gt_dir)), "sets": []}
        for languages in candidate_sets(truth):
            key = "+".join(languages)
            read(engine, truth.image, languages)  # language data loaded once
            seconds, analysis = [], None
            for _ in range(args.runs):
                started = time.perf_counter()
                analysis = read(engine, truth.image, languages)
                seconds.append(time.perf_counter() - started)
            assert analysis is not None
            started = time.perf_counter()
            cli_text = tesseract_cli_lines(truth.image, languages)
            cli_seconds = time.perf_counter() - started
            entry["sets"].append(
                {
                    "languages": key,
                    "seconds": summary(seconds),
                    "cer": cer(truth.text, recognised_text(analysis)),
                    "confidence": analysis.mean_confidence(),
                    "cer_cli": cer(truth.text, cli_text),
                    "seconds_cli_single_run": cli_seconds,
                }
            )
        first = entry["sets"][0]["languages"]
        if first not in apis:
            apis[first] = tesserocr.PyTessBaseAPI(path=str(tessdata_path()), lang=first)
            raw_seconds(apis[first], truth.image)
        entry["seconds_raw_tesserocr"] = summary(
            [raw_seconds(apis[first], truth.image) for _ in range(args.runs)]
        )
        per_page.append(entry)

    print(f"{'page':44} {'set':8} {'s/page':>7} {'CER':>7} {'CLI':>7} {'conf':>5}")
    for entry in per_page:
        for one in entry["sets"]:
            print(
                f"{entry['image'][-44:]:44} {one['languages']:8} "
                f"{one['seconds']['median']:7.2f} {one['cer']:7.2%} {one['cer_cli']:7.2%} "
                f"{one['confidence'] or 0:5.2f}"
            )
    figures: dict[str, Any] = {"pages": per_page, "two_candidate_steps": two_candidates(per_page)}
    steps = figures["two_candidate_steps"]
    if steps["pages"]:
        print(
            f"two-candidate step on {steps['pages']} pages: {steps['seconds_both']:.2f} s/page "
            f"against {steps['seconds_first']:.2f} for {steps['first']} alone "
            f"(x{steps['cost_ratio']:.2f}); mean CER kept {steps['cer_kept']:.2%}, "
            f"{steps['first']} alone {steps['cer_first']:.2%}, "
            f"{steps['second']} alone {steps['cer_second']:.2%}; "
            f"the kept one was the better on {steps['kept_the_better']} of {steps['pages']}"
        )
    recto = [e["sets"][0]["seconds"]["median"] for e in per_page]
    raw = [e["seconds_raw_tesserocr"]["median"] for e in per_page]
    figures.update(
        {
            "seconds_per_page_recto_first_set": sum(recto) / len(recto),
            "seconds_per_page_raw_tesserocr": sum(raw) / len(raw),
            "throughput_ratio_medians": sum(raw) / sum(recto),
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
    )
    print(
        f"s/page, first set: recto {figures['seconds_per_page_recto_first_set']:.2f}, "
        f"raw tesserocr {figures['seconds_per_page_raw_tesserocr']:.2f}; "
        f"raw/recto throughput ratio {figures['throughput_ratio_medians']:.3f}"
    )
    print("written:", write_results("analyzer_ocr", figures))


def two_candidates(per_page: list[dict[str, Any]]) -> dict[str, Any]:
    """What a two-candidate step costs and buys, over the pages whose profile names two."""
    pairs = [e["sets"] for e in per_page if len(e["sets"]) == 2]
    if not pairs:
        return {"pages": 0}
    kept = [max(pair, key=lambda one: one["confidence"] or 0) for pair in pairs]

    def mean(values: list[float]) -> float:
        return sum(values) / len(values)

    both = mean([a["seconds"]["median"] + b["seconds"]["median"] for a, b in pairs])
    first = mean([a["seconds"]["median"] for a, _ in pairs])
    return {
        "pages": len(pairs),
        "first": pairs[0][0]["languages"],
        "second": pairs[0][1]["languages"],
        "seconds_both": both,
        "seconds_first": first,
        "cost_ratio": both / first,
        "cer_kept": mean([one["cer"] for one in kept]),
        "cer_first": mean([a["cer"] for a, _ in pairs]),
        "cer_second": mean([b["cer"] for _, b in pairs]),
        "kept_the_better": sum(
            1
            for one, pair in zip(kept, pairs, strict=True)
            if one["cer"] == min(other["cer"] for other in pair)
        ),
    }


if __name__ == "__main__":
    main()
