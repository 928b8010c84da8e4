"""B11, idle: the CPU a whole stack burns doing nothing, after a job has finished.

Every process of the stack (`recto up`'s: PostgreSQL with its backends, nats-server, every
service) is read from /proc (user + system time) at the start and end of each window of
idleness; the sum is given as % of one core. Raw limit, same windows: a bare PostgreSQL and a
bare nats-server with nothing connected, started beside the stack. Each window comes after a
small null-engine job and a settling pause, so nothing of the job is still running. Each
process's context switches per second are given too: how often it wakes, a figure a shared
machine's load does not inflate as it does CPU time.

    uv run python bench/idle.py
    RECTO_BENCH_RUNS=3  RECTO_BENCH_IDLE_SECONDS=60
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).parent))
from benchlib import RUNS, summary, table, write_results
from pipeline_pages import small_pages
from pipeline_runs import bench_stack, null_plan, run_pipeline
from stack_probe import postgres_cpu
from startup_raw import scratch

from infra.embedded import EmbeddedNats, EmbeddedPostgres

IDLE_SECONDS = float(os.environ.get("RECTO_BENCH_IDLE_SECONDS", "60"))
SETTLE_SECONDS = 5.0
JOB_PAGES = 5
GOAL_PERCENT = 2.0
BENCH = "bench (image server, client)"


def bare_servers_cpu(postmaster: psutil.Process, nats: psutil.Process) -> float:
    times = nats.cpu_times()
    return postgres_cpu(postmaster) + times.user + times.system


@contextlib.contextmanager
def bare_servers() -> Iterator[tuple[psutil.Process, psutil.Process]]:
    """A PostgreSQL and a nats-server with nothing connected: their postmaster and process."""
    folder = scratch("recto-bench-idle-")
    try:
        with EmbeddedPostgres(folder / "pg") as postgres, EmbeddedNats(folder / "nats") as nats:
            pid_file = postgres.data_dir / "postmaster.pid"
            postmaster = psutil.Process(int(pid_file.read_text().split("\n", 1)[0]))
            assert nats.process is not None
            yield postmaster, psutil.Process(nats.process.pid)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    windows: list[dict[str, float]] = []
    wakeups: list[dict[str, float]] = []
    raw: list[float] = []
    stack = bench_stack(analyzers=2)
    with stack as (_stack, probe, client, corpus_id), bare_servers() as (bare_pg, bare_nats):
        for run in range(RUNS):
            pages = small_pages(JOB_PAGES, run)
            run_pipeline(client, corpus_id, probe, [(pages, null_plan())], {})
            time.sleep(SETTLE_SECONDS)
            before, raw_before = probe.cpu_seconds(), bare_servers_cpu(bare_pg, bare_nats)
            woken_before = probe.wakeups()
            started = time.perf_counter()
            time.sleep(IDLE_SECONDS)
            elapsed = time.perf_counter() - started
            after, raw_after = probe.cpu_seconds(), bare_servers_cpu(bare_pg, bare_nats)
            woken_after = probe.wakeups()
            windows.append({n: 100 * (after[n] - before[n]) / elapsed for n in after if n != BENCH})
            wakeups.append({n: (woken_after[n] - woken_before[n]) / elapsed for n in woken_after})
            raw.append(100 * (raw_after - raw_before) / elapsed)
            print(f"window {run + 1}/{RUNS}: {sum(windows[-1].values()):.2f} %", flush=True)
    totals = [sum(window.values()) for window in windows]
    processes = sorted(windows[0], key=lambda n: -windows[0][n])
    per_process = {n: summary([w[n] for w in windows]) for n in processes}
    woken = {n: summary([w[n] for w in wakeups]) for n in wakeups[0]}
    total, floor = summary(totals), summary(raw)
    rows = [("idle CPU, % of one core", "median (min..max)", "context switches/s")]
    rows.append(
        (
            "whole stack",
            f"{total['median']:.2f} ({total['min']:.2f}..{total['max']:.2f})",
            f"goal <= {GOAL_PERCENT:g}",
        )
    )
    rows.append(
        (
            "bare PostgreSQL + nats-server (raw)",
            f"{floor['median']:.2f}",
            f"stack / raw: {total['median'] / max(floor['median'], 0.01):.1f}x",
        )
    )
    rows += [
        (
            f"  {name}",
            f"{per_process[name]['median']:.2f}",
            f"{woken[name]['median']:.1f}" if name in woken else "",
        )
        for name in processes
    ]
    print(table(rows))
    path = write_results(
        "idle",
        {
            "goal_percent": GOAL_PERCENT,
            "window_seconds": IDLE_SECONDS,
            "load_average": os.getloadavg(),
            "stack_percent": total,
            "raw_servers_percent": floor,
            "per_process_percent": per_process,
            "per_process_context_switches_per_second": woken,
        },
    )
    print(f"written to {path}")


if __name__ == "__main__":
    main()
