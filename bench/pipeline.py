"""B5, B6, B7 and B10: the whole stack, every service in its own process, end to end.

B5: the `null` engine on small generated pages (600×800): pages/s from the first import
request to the job done, CPU ms per page per service. Exports as a user's default plan
(ALTO, PAGE, text, annotations; XML checked against its XSD), projections on.
B6: tesseract on the real pages of `<corpora>/ocr-gt` (derivative size, one import per
language set) against a plain tesserocr loop on the same images in as many processes.
B7: the B6 pipeline with 1 and 2 analyzer processes. B10: RSS per service, idle and peak.
Runs alternate the pipeline and the raw loop so a shared machine's drift falls on both.

    uv run python bench/pipeline.py
    RECTO_BENCH_RUNS=3  RECTO_BENCH_PIPELINE_PAGES=500  RECTO_BENCH_OCR_REPEAT=1
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from benchlib import RUNS, write_results
from pipeline_pages import (
    OcrPage,
    OcrWork,
    RawTesserocr,
    by_languages,
    longest_first,
    ocr_pages,
    small_pages,
    warm_up_pages,
)
from pipeline_report import print_table, summarise, versions
from pipeline_runs import PipelineRun, bench_stack, null_plan, run_pipeline, tesseract_plan
from stack_probe import StackProbe

from contracts import Plan
from infra.testing.corpora import corpora_root
from recto.client import GatewayClient
from recto.sample.pages import SamplePage

B5_PAGES = int(os.environ.get("RECTO_BENCH_PIPELINE_PAGES", "500"))
OCR_REPEAT = int(os.environ.get("RECTO_BENCH_OCR_REPEAT", "1"))
SETTLE_SECONDS = 3.0
IDLE_READINGS = 10
METHOD = [
    "one stack per analyzer count; B5 and B6 share the 2-analyzer stack; untimed warm-up first",
    "pages/s: first import request to every job seen done (polled every 0.1 s)",
    "OCR pages served at derivative size (2400 px long side), as ingest asks an image service",
    "OCR pages longest first (one raw pass) for the pipeline and the raw loop alike",
    "raw loop: tesserocr SetImageFile + GetUTF8Text on ingest's own derivative bytes",
    "CPU: psutil user+system per process; postgres = postmaster, backends, reaped backends",
]


def idle_figures(probe: StackProbe) -> tuple[dict[str, float], dict[str, float]]:
    """RSS (largest of a few readings) and CPU % of each process, after start-up, before work."""
    time.sleep(SETTLE_SECONDS)
    before, started = probe.cpu_seconds(), time.perf_counter()
    rss: dict[str, float] = {}
    for _ in range(IDLE_READINGS):
        for name, megabytes in probe.rss_mb().items():
            rss[name] = max(rss.get(name, 0.0), megabytes)
        time.sleep(0.5)
    elapsed, after = time.perf_counter() - started, probe.cpu_seconds()
    return rss, {name: (after[name] - before[name]) * 100 / elapsed for name in after}


def null_runs(
    client: GatewayClient, corpus_id: str, probe: StackProbe, peaks: dict[str, float]
) -> list[PipelineRun]:
    # Every run its own pages: the content-addressed store must not dedupe a run's images.
    warm_up, *runs = [small_pages(count, run) for run, count in enumerate([20] + [B5_PAGES] * RUNS)]
    run_pipeline(client, corpus_id, probe, [(warm_up, null_plan())], {})
    return [run_pipeline(client, corpus_id, probe, [(pages, null_plan())], peaks) for pages in runs]


def imports(pages: list[OcrPage]) -> list[tuple[list[SamplePage], Plan]]:
    return [(group, tesseract_plan(langs)) for langs, group in by_languages(pages).items()]


def ocr_runs(
    client: GatewayClient,
    corpus_id: str,
    probe: StackProbe,
    work: OcrWork,
    analyzers: int,
    peaks: dict[str, float],
) -> tuple[list[PipelineRun], list[float]]:
    """The tesseract pipeline and the raw loop, alternating which goes first."""
    raw = RawTesserocr(work.tasks, analyzers)  # its workers load every language first
    try:
        # Untimed: small pages of each language set, enough for every analyzer to draw each.
        run_pipeline(
            client, corpus_id, probe, imports(warm_up_pages(work.pages, 3 * analyzers)), {}
        )
        pipeline, raw_seconds = [], []
        for run in range(RUNS):
            if run % 2:
                raw_seconds.append(raw.run())
            pipeline.append(run_pipeline(client, corpus_id, probe, imports(work.pages), peaks))
            if not run % 2:
                raw_seconds.append(raw.run())
    finally:
        raw.close()
    return pipeline, raw_seconds


def main() -> None:
    started = time.monotonic()
    figures: dict[str, Any] = {"load_average_at_start": os.getloadavg()}
    root = corpora_root()
    gt_dir = root / "ocr-gt" if root else None
    pages = ocr_pages(gt_dir, OCR_REPEAT) if gt_dir and gt_dir.is_dir() else []
    if not pages:
        print("B6/B7 skipped: no <corpora>/ocr-gt (set RECTO_CORPORA to the shared corpora)")
    peaks: dict[str, dict[str, float]] = {"b5": {}, "b6": {}}
    ocr: dict[int, tuple[list[PipelineRun], list[float]]] = {}
    with tempfile.TemporaryDirectory(dir="/tmp") as folder:
        work = longest_first(pages, Path(folder)) if pages else None
        with bench_stack(analyzers=2) as (_, probe, client, corpus_id):
            idle_rss, idle_cpu = idle_figures(probe)
            b5 = null_runs(client, corpus_id, probe, peaks["b5"])
            if work:
                ocr[2] = ocr_runs(client, corpus_id, probe, work, 2, peaks["b6"])
        if work:
            with bench_stack(analyzers=1) as (_, probe, client, corpus_id):
                ocr[1] = ocr_runs(client, corpus_id, probe, work, 1, {})
    figures |= summarise(b5, ocr, idle_rss, peaks, work.seconds if work else [])
    figures["idle_cpu_percent"] = idle_cpu
    figures["load_average_at_end"] = os.getloadavg()
    figures["wall_seconds"] = time.monotonic() - started
    figures["settings"] = {
        "runs": RUNS,
        "b5_pages": B5_PAGES,
        "ocr_repeat": OCR_REPEAT,
        "ocr_pages": len(pages),
        "exports": null_plan().exports,
        "method": METHOD,
    }
    figures["versions"] = versions()
    print_table(figures)
    print("written:", write_results("pipeline", figures))


if __name__ == "__main__":
    main()
