"""`recto demo --exit --json` end to end: every service in its own process, real servers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from infra.testing.patience import patient

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(1200)]


def test_demo_exports_every_sample_page_with_valid_alto_and_page() -> None:
    # Under /tmp and world-traversable: the embedded PostgreSQL runs as nobody when root.
    state_dir = Path(tempfile.mkdtemp(prefix="recto-demo-", dir="/tmp"))
    state_dir.chmod(0o755)
    environment = {
        k: v for k, v in os.environ.items() if k not in ("RECTO_DATABASE_URL", "RECTO_NATS_URL")
    }
    result = subprocess.run(
        [sys.executable, "-m", "recto", "demo", "--exit", "--json", "--state-dir", str(state_dir)],
        capture_output=True,
        text=True,
        timeout=patient(1100),
        env=environment,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    summary = json.loads(result.stdout)

    assert summary["pages"] > 0
    assert summary["pages_exported"] == summary["pages"]
    for manuscript in summary["manuscripts"]:
        assert {"iiif-manifest", "mets", "bundle"} <= set(manuscript["outputs"])
        for page in manuscript["pages"]:
            assert page["status"] == "exported", page
            assert page["alto_valid"], page.get("alto_error")
            assert page["page_valid"], page.get("page_error")
            assert 0 <= page["mean_confidence"] <= 1
    with_truth = [p for m in summary["manuscripts"] for p in m["pages"] if "cer" in p]
    if with_truth:  # real corpus pages: printed Fraktur must read well
        assert min(p["cer"] for p in with_truth) < 0.2
    # Every process the demo started has stopped with it.
    processes = subprocess.run(["pgrep", "-f", str(state_dir)], capture_output=True, text=True)
    assert processes.stdout.strip() == ""
