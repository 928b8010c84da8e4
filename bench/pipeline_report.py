"""Figures of the pipeline benchmarks: medians and spreads, ratios, goals, the printed table."""

from __future__ import annotations

import subprocess
from dataclasses import asdict
from importlib.metadata import version
from typing import Any

from benchlib import summary, table
from pipeline_runs import PipelineRun

from infra.embedded.nats import nats_server_binary
from infra.embedded.postgres import postgres_bin_dir

GOALS = {
    "b5_pages_per_second": 100.0,
    "b6_pipeline_over_raw": 0.95,
    "b7_speedup": 1.8,
    "b10_idle_mb": 120.0,
    "b10_analyzer_mb": 400.0,
}


def summarise(
    b5: list[PipelineRun],
    ocr: dict[int, tuple[list[PipelineRun], list[float]]],
    idle: dict[str, float],
    peaks: dict[str, dict[str, float]],
    page_seconds: list[float],
) -> dict[str, Any]:
    """`page_seconds`: each OCR page's raw tesserocr time, longest first (the order run)."""
    figures: dict[str, Any] = {"goals": GOALS, "b5": _pipeline_figures(b5)}
    figures["b6"] = {
        f"analyzers_{n}": _ocr_figures(runs, raw, len(page_seconds))
        for n, (runs, raw) in ocr.items()
    }
    if ocr:
        figures["b6"]["raw_seconds_per_page_longest_first"] = page_seconds
    if {1, 2} <= ocr.keys():
        one, two = figures["b6"]["analyzers_1"], figures["b6"]["analyzers_2"]
        total = sum(page_seconds)
        figures["b7"] = {
            "speedup_pipeline": two["pipeline_pages_per_second"]["median"]
            / one["pipeline_pages_per_second"]["median"],
            # What the machine itself gave two processes during the same run (shared cores).
            "speedup_raw_tesserocr": two["raw_pages_per_second"]["median"]
            / one["raw_pages_per_second"]["median"],
            # No schedule of these pages on two processes beats this: the longest page is one.
            "speedup_bound_for_these_pages": total / max(total / 2, max(page_seconds)),
        }
    figures["b10"] = {"idle_rss_mb": idle, "peak_rss_mb_b5": peaks["b5"]}
    figures["b10"]["peak_rss_mb_b6"] = peaks["b6"]
    return figures


def _pipeline_figures(runs: list[PipelineRun]) -> dict[str, Any]:
    services = runs[0].cpu_ms_per_page.keys()
    return {
        "pages_per_run": runs[0].pages,
        "pages_per_second": summary([run.pages_per_second for run in runs]),
        "pages_per_second_server_clock": summary([run.pages / run.server_seconds for run in runs]),
        "cpu_ms_per_page": {
            name: summary([run.cpu_ms_per_page[name] for run in runs]) for name in services
        },
        "pages_not_exported": sum(run.pages - run.exported for run in runs),
        "runs": [asdict(run) | {"pages_per_second": run.pages_per_second} for run in runs],
    }


def _ocr_figures(runs: list[PipelineRun], raw: list[float], pages: int) -> dict[str, Any]:
    figures = _pipeline_figures(runs)
    raw_rates = [pages / seconds for seconds in raw]
    figures["raw_pages_per_second"] = summary(raw_rates)
    figures["raw_seconds"] = raw
    pipeline_rates = [run.pages_per_second for run in runs]
    figures["pipeline_pages_per_second"] = figures.pop("pages_per_second")
    figures["pipeline_over_raw"] = summary(
        [p / r for p, r in zip(pipeline_rates, raw_rates, strict=True)]
    )
    return figures


def versions() -> dict[str, str]:
    import tesserocr

    def first_line(command: list[str]) -> str:
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        return (done.stdout or done.stderr).strip().splitlines()[0]

    return {
        "tesserocr": version("tesserocr"),
        "libtesseract": tesserocr.tesseract_version().splitlines()[0],
        "postgres": first_line([str(postgres_bin_dir() / "postgres"), "--version"]),
        "nats-server": first_line([str(nats_server_binary()), "--version"]),
        "pillow": version("pillow"),
    }


def print_table(figures: dict[str, Any]) -> None:
    rows = [("figure", "median (min..max)", "goal")]
    b5 = figures["b5"]
    rows.append(("B5 pages/s, null engine", _spread(b5["pages_per_second"]), "≥ 100"))
    for name, cpu in b5["cpu_ms_per_page"].items():
        rows.append((f"B5 CPU ms/page {name}", _spread(cpu, "{:.1f}"), ""))
    for key, ocr in figures["b6"].items():
        if not key.startswith("analyzers_"):
            continue
        rows.append((f"B6 {key}: pipeline pages/s", _spread(ocr["pipeline_pages_per_second"]), ""))
        rows.append((f"B6 {key}: raw tesserocr pages/s", _spread(ocr["raw_pages_per_second"]), ""))
        rows.append((f"B6 {key}: pipeline / raw", _spread(ocr["pipeline_over_raw"]), "≥ 0.95"))
    if "b7" in figures:
        b7 = figures["b7"]
        rows.append(("B7 speed-up, 1 → 2 analyzers", f"{b7['speedup_pipeline']:.2f}", "≥ 1.8"))
        rows.append(("B7 raw tesserocr, 1 → 2 processes", f"{b7['speedup_raw_tesserocr']:.2f}", ""))
        bound = f"{b7['speedup_bound_for_these_pages']:.2f}"
        rows.append(("B7 bound for these pages (longest page)", bound, ""))
    b10 = figures["b10"]
    for name, idle in b10["idle_rss_mb"].items():
        goal = "≤ 120 idle" + (", ≤ 400" if name.startswith("analyzer") else "")
        peaks = [b10[f"peak_rss_mb_{load}"].get(name) for load in ("b5", "b6")]
        cells = " / ".join(f"{mb:.0f}" if mb else "-" for mb in [idle, *peaks])
        rows.append((f"B10 RSS MB {name} idle/B5/B6", cells, goal))
    for name, percent in figures["idle_cpu_percent"].items():
        rows.append((f"idle CPU % {name}", f"{percent:.1f}", ""))
    print(table(rows))
    lost = [k for k, v in [("b5", b5), *figures["b6"].items()] if _not_exported(v)]
    if lost:
        print(f"WARNING: pages not exported in {lost}; see the runs in the results file")
    load = ", ".join(f"{value:.2f}" for value in figures["load_average_at_start"])
    print(f"load average at start: {load}; wall {figures['wall_seconds']:.0f} s")


def _spread(figures: dict[str, float], form: str = "{:.2f}") -> str:
    low, high = form.format(figures["min"]), form.format(figures["max"])
    return f"{form.format(figures['median'])} ({low}..{high})"


def _not_exported(figures: Any) -> bool:
    return isinstance(figures, dict) and bool(figures.get("pages_not_exported"))
