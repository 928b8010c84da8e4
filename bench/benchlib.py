"""What every benchmark shares: servers, repetitions, machine facts, the results file."""

from __future__ import annotations

import contextlib
import json
import os
import platform
import statistics
import sys
import tempfile
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path
from typing import Any

from infra.embedded import EmbeddedNats, EmbeddedPostgres

RESULTS = Path(__file__).parent / "results"
RUNS = int(os.environ.get("RECTO_BENCH_RUNS", "3"))
# `RECTO_BENCH_ROWS=b4` runs only those rows of a script that measures several (profiling).
ROWS = {row.strip().lower() for row in os.environ.get("RECTO_BENCH_ROWS", "").split(",") if row}


def wanted(row: str) -> bool:
    return not ROWS or row in ROWS


def machine() -> dict[str, Any]:
    return {
        "nproc": os.cpu_count(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "versions": {
            name: version(name)
            for name in ("asyncpg", "nats-py", "faststream", "pydantic", "sqlalchemy")
        },
    }


def summary(values: list[float]) -> dict[str, float]:
    """Median and spread (min..max) of repeated runs."""
    return {
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "runs": len(values),
    }


def write_results(name: str, figures: dict[str, Any]) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps({"benchmark": name, "machine": machine(), **figures}, indent=2))
    return path


@contextlib.contextmanager
def servers(*, nats: bool = False) -> Iterator[tuple[str, str | None]]:
    """PostgreSQL (durable: fsync on, as in production) and optionally NATS.

    `RECTO_DATABASE_URL` / `RECTO_NATS_URL` name servers of your own instead.
    """
    with contextlib.ExitStack() as stack:
        database = os.environ.get("RECTO_DATABASE_URL")
        nats_url = os.environ.get("RECTO_NATS_URL")
        scratch = Path(tempfile.mkdtemp(prefix="recto-bench-", dir="/tmp"))
        scratch.chmod(0o755)
        if not database:
            database = stack.enter_context(EmbeddedPostgres(scratch / "pg", durable=True)).url
        if nats and not nats_url:
            nats_url = stack.enter_context(EmbeddedNats(scratch / "nats")).url
        yield database, nats_url


def table(rows: list[tuple[str, str, str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    return "\n".join("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)) for row in rows)
