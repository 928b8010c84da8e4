"""B10 alone, for sizing containers: RSS of each `recto serve NAME` process idle, then its
peak while a manuscript of small pages goes through with the `null` engine. The Kubernetes
requests and limits in `deploy/k8s` and the memory column of `docs/scaling.md` come from here.

    uv run python bench/service_memory.py
    RECTO_BENCH_MEMORY_PAGES=200
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from benchlib import table, write_results
from pipeline_pages import small_pages
from pipeline_runs import bench_stack, null_plan, run_pipeline

PAGES = int(os.environ.get("RECTO_BENCH_MEMORY_PAGES", "200"))
SETTLE_SECONDS = 5.0
IDLE_READINGS = 20


def main() -> None:
    with bench_stack(analyzers=1) as (_stack, probe, client, corpus_id):
        time.sleep(SETTLE_SECONDS)
        idle: dict[str, float] = {}
        for _ in range(IDLE_READINGS):
            for name, megabytes in probe.rss_mb().items():
                idle[name] = max(idle.get(name, 0.0), megabytes)
            time.sleep(0.5)
        peaks: dict[str, float] = {}
        run = run_pipeline(client, corpus_id, probe, [(small_pages(PAGES, 1), null_plan())], peaks)
    rows = [("service", "idle RSS MB", f"peak RSS MB, {PAGES} null pages")]
    rows += [(name, f"{idle[name]:.0f}", f"{peaks.get(name, 0.0):.0f}") for name in sorted(idle)]
    print(table(rows))
    print(f"{run.pages} pages in {run.seconds:.1f}s ({run.pages_per_second:.1f} pages/s)")
    write_results(
        "service_memory",
        {
            "idle_rss_mb": idle,
            "peak_rss_mb": peaks,
            "pages": run.pages,
            "pages_per_second": run.pages_per_second,
            "cpu_ms_per_page": run.cpu_ms_per_page,
        },
    )


if __name__ == "__main__":
    main()
