"""B11: start-up. `./recto up` (embedded servers, every service) from exec to the gateway's
`/readyz` 200, from an empty state folder and from an existing one; each service process from
exec to ready, alone against running servers.

Raw limits, same run: `python -c pass`, the embedded PostgreSQL's start (initdb included from
empty), `nats-server`'s, and each service's imports alone. The floor under `recto up` is
PostgreSQL's start plus the slowest service's imports (services need the database first).
Each run alternates the raw measurements and Recto's, so a shared machine's drift falls on
both. The heaviest imports of each service are written beside the figures
(`bench/results/startup-imports-<service>.txt`).

    uv run python bench/startup.py
    RECTO_BENCH_RUNS=3
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from benchlib import RESULTS, RUNS, servers, summary, table, write_results
from startup_raw import (
    MODULES,
    import_seconds,
    nats_seconds,
    postgres_seconds,
    python_exec_seconds,
    scratch,
)
from startup_runs import UpRun, time_recto_up, time_service

from infra.embedded.process import free_port
from infra.settings import Settings
from recto.services import migrate_all, provision_streams

GOAL_EXISTING_SECONDS = 5.0
GOAL_EMPTY_SECONDS = 15.0


def service_environment(database: str, nats_url: str, state_dir: Path) -> dict[str, str]:
    port = free_port()
    return {
        **os.environ,
        "RECTO_DATABASE_URL": database,
        "RECTO_NATS_URL": nats_url,
        "RECTO_STATE_DIR": str(state_dir),
        "RECTO_ARTIFACTS": str(state_dir / "artifacts"),
        "RECTO_GATEWAY_PORT": str(port),
        "RECTO_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "RECTO_AUTH": "off",
        "OMP_THREAD_LIMIT": "1",
    }


def one_run(
    figures: dict[str, list[float]], environment: dict[str, str], state_dir: Path
) -> list[UpRun]:
    figures["python_exec"].append(python_exec_seconds())
    empty, existing = postgres_seconds()
    figures["postgres_empty"].append(empty)
    figures["postgres_existing"].append(existing)
    figures["nats"].append(nats_seconds())
    for service, module in MODULES.items():
        seconds, heaviest = import_seconds(module)
        figures[f"import_{service}"].append(seconds)
        (RESULTS / f"startup-imports-{service}.txt").write_text(heaviest)
        ready, cpu = time_service(service, environment, state_dir)
        figures[f"ready_{service}"].append(ready)
        figures[f"cpu_{service}"].append(cpu)
    folder = scratch("recto-bench-up-")
    try:
        ups = [time_recto_up(folder / "state", folder / "up.log") for _ in ("empty", "existing")]
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    for state, up in zip(("empty", "existing"), ups, strict=True):
        figures[f"up_{state}"].append(up.seconds)
        figures[f"up_{state}_all"].append(up.all_seconds)
        figures[f"up_{state}_cpu"].append(up.cpu_seconds)
    return ups


def measure() -> tuple[dict[str, list[float]], list[UpRun]]:
    figures: dict[str, list[float]] = {
        name: []
        for name in (
            "python_exec",
            "postgres_empty",
            "postgres_existing",
            "nats",
            "up_empty",
            "up_existing",
            "up_empty_cpu",
            "up_existing_cpu",
            "up_empty_all",
            "up_existing_all",
            *(f"{kind}_{service}" for service in MODULES for kind in ("import", "ready", "cpu")),
        )
    }
    RESULTS.mkdir(exist_ok=True)
    state_dir = scratch("recto-bench-services-")
    ups: list[UpRun] = []
    try:
        with servers(nats=True) as (database, nats_url):
            assert nats_url is not None
            environment = service_environment(database, nats_url, state_dir)
            settings = Settings(database_url=database, nats_url=nats_url)
            migrate_all(settings)  # services alone start on an existing database
            asyncio.run(provision_streams(settings))
            for run in range(RUNS):
                ups += one_run(figures, environment, state_dir)
                print(f"run {run + 1}/{RUNS}: up {figures['up_existing'][-1]:.1f} s", flush=True)
    finally:
        shutil.rmtree(state_dir, ignore_errors=True)
    return figures, ups


def main() -> None:
    load = os.getloadavg()
    samples, ups = measure()
    median = {name: summary(values)["median"] for name, values in samples.items()}
    slowest_import = max(median[f"import_{service}"] for service in MODULES)
    floors = {
        "empty": median["postgres_empty"] + slowest_import,
        "existing": median["postgres_existing"] + slowest_import,
    }
    rows = [("figure", "median s (min..max)", "raw limit, same run")]
    rows.append(("load average before", " ".join(f"{x:.1f}" for x in load), ""))
    for state in ("empty", "existing"):
        values = samples[f"up_{state}"]
        rows.append(
            (
                f"recto up, {state} state folder",
                f"{median[f'up_{state}']:.2f} ({min(values):.2f}..{max(values):.2f})",
                f"{floors[state]:.2f} (postgres + slowest import):"
                f" {median[f'up_{state}'] / floors[state]:.2f}x",
            )
        )
        rows.append((f"  every process ready, {state}", f"{median[f'up_{state}_all']:.2f}", ""))
        cpu = median[f"up_{state}_cpu"]
        rows.append(
            (
                f"  CPU s until /readyz 200, {state}",
                f"{cpu:.2f}",
                f"/ {os.cpu_count()} cores: {cpu / (os.cpu_count() or 1):.2f} s at best",
            )
        )
    for service in MODULES:
        ready, imports = median[f"ready_{service}"], median[f"import_{service}"]
        cpu = median[f"cpu_{service}"]
        rows.append(
            (
                f"{service}: exec to ready (CPU s)",
                f"{ready:.2f} ({cpu:.2f})",
                f"import {imports:.2f}: {ready / imports:.2f}x",
            )
        )
    rows += [
        ("python -c pass", f"{median['python_exec']:.3f}", ""),
        (
            "postgres start, empty / existing",
            f"{median['postgres_empty']:.2f} / {median['postgres_existing']:.2f}",
            "",
        ),
        ("nats-server start", f"{median['nats']:.2f}", ""),
    ]
    print(table(rows))
    print("in the last recto up (existing folder), seconds after exec: exec -> ready")
    last = ups[-1]
    for replica in sorted(last.ready_at, key=last.ready_at.__getitem__):
        exec_at = last.exec_at.get(replica, float("nan"))
        print(f"  {replica}: {exec_at:.2f} -> {last.ready_at[replica]:.2f}")
    figures: dict[str, Any] = {
        "goals": {
            "up_existing_seconds": GOAL_EXISTING_SECONDS,
            "up_empty_seconds": GOAL_EMPTY_SECONDS,
        },
        "load_average_before": load,
        "load_average_after": os.getloadavg(),
        **{name: summary(values) for name, values in samples.items()},
        "floors": floors,
        "ratios": {
            "up_empty_over_floor": median["up_empty"] / floors["empty"],
            "up_existing_over_floor": median["up_existing"] / floors["existing"],
            **{
                f"ready_over_import_{s}": median[f"ready_{s}"] / median[f"import_{s}"]
                for s in MODULES
            },
        },
        "up_timelines": [{"exec_at": u.exec_at, "ready_at": u.ready_at} for u in ups],
    }
    print(f"written to {write_results('startup', figures)}")


if __name__ == "__main__":
    main()
