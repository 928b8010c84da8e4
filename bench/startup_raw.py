"""B11's raw limits: what starting Recto cannot go below on this machine, measured in the run.

A bare interpreter (`python -c pass`), the embedded PostgreSQL (from an empty folder: initdb
and start; from an existing one: start), `nats-server -js`, and each service's imports alone
(`python -X importtime -c 'import <module>'`): the floor under its exec-to-ready time.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from infra.embedded import EmbeddedNats, EmbeddedPostgres

MODULES = {
    "relay": "infra.messaging.relay_process",
    "ingest": "ingest.bootstrap",
    "analyzer": "analyzer.bootstrap",
    "exporter": "exporter.bootstrap",
    "gateway": "gateway.bootstrap",
}
"""What each service's process must import before it can do anything: its composition root."""
IMPORT_LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)")


def scratch(prefix: str) -> Path:
    folder = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    folder.chmod(0o755)  # the embedded PostgreSQL runs as nobody when root
    return folder


def python_exec_seconds() -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    return time.perf_counter() - started


def postgres_seconds() -> tuple[float, float]:
    """(empty folder: initdb and start, existing folder: start), seconds to accept connections."""
    folder = scratch("recto-bench-pg-")
    try:
        server = EmbeddedPostgres(folder / "postgres", durable=True)
        started = time.perf_counter()
        server.start()
        empty = time.perf_counter() - started
        server.stop()
        started = time.perf_counter()
        server.start()
        existing = time.perf_counter() - started
        server.stop()
        return empty, existing
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def nats_seconds() -> float:
    folder = scratch("recto-bench-nats-")
    try:
        server = EmbeddedNats(folder)
        started = time.perf_counter()
        server.start()
        seconds = time.perf_counter() - started
        server.stop()
        return seconds
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def import_seconds(module: str) -> tuple[float, str]:
    """Wall seconds of `python -X importtime -c 'import module'`, and its heaviest imports."""
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        capture_output=True,
        text=True,
        check=True,
    )
    return time.perf_counter() - started, heaviest(result.stderr)


def heaviest(importtime: str, count: int = 40) -> str:
    """The `count` imports with the largest cumulative time, as `-X importtime` prints them."""
    rows = []
    for line in importtime.splitlines():
        match = IMPORT_LINE.match(line)
        if match:
            own, cumulative, indent, name = match.groups()
            rows.append((int(cumulative), int(own), len(indent) // 2, name))
    rows.sort(reverse=True)
    lines = ["cumulative_us  self_us  depth  module"]
    lines += [f"{c:>13}  {o:>7}  {d:>5}  {n}" for c, o, d, n in rows[:count]]
    return "\n".join(lines) + "\n"
