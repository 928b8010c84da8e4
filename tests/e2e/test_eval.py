"""`recto eval --through-pipeline`: the original files and a running Recto, side by side."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

from recto.sample.pages import SAMPLE_TEXT, generated_pages

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PAGE_NS = "http://schema.primaresearch.org/PAGE/gts/pagecontent/2019-07-15"


def ground_truth(folder: Path) -> Path:
    """Two generated pages with the text they were drawn with as PAGE ground truth."""
    gt_dir = folder / "generated"
    gt_dir.mkdir(parents=True)
    body = "\n".join(textwrap.wrap(SAMPLE_TEXT, 52))
    for number, page in enumerate(generated_pages(2), start=1):
        (gt_dir / f"{page.name}.png").write_bytes(page.data)
        (gt_dir / f"{page.name}.xml").write_text(
            f'<PcGts xmlns="{PAGE_NS}"><Page imageFilename="{page.name}.png" '
            'imageWidth="1400" imageHeight="2000"><ReadingOrder><OrderedGroup id="ro">'
            '<RegionRefIndexed index="0" regionRef="h"/><RegionRefIndexed index="1" '
            'regionRef="b"/></OrderedGroup></ReadingOrder>'
            f'<TextRegion id="h"><TextEquiv><Unicode>Folio {number}</Unicode></TextEquiv>'
            f'</TextRegion><TextRegion id="b"><TextEquiv><Unicode>{body}</Unicode>'
            "</TextEquiv></TextRegion></Page></PcGts>",
            encoding="utf-8",
        )
    return gt_dir


def test_eval_reads_the_pages_from_their_files_and_through_a_running_recto(
    tmp_path: Path,
) -> None:
    gt_dir = ground_truth(tmp_path)
    state_dir = Path(tempfile.mkdtemp(prefix="recto-eval-", dir="/tmp"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("RECTO_VLM_")}
    for name in ("RECTO_DATABASE_URL", "RECTO_NATS_URL", "OPENAI_API_KEY"):
        env.pop(name, None)

    arguments = ["--language", "eng", "--through-pipeline", "--state-dir", str(state_dir)]
    result = subprocess.run(
        [sys.executable, "-m", "recto", "eval", str(gt_dir), *arguments, "--json"],
        capture_output=True,
        text=True,
        env={**env, "OMP_THREAD_LIMIT": "1"},
        timeout=600,
        check=False,
    )

    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout)
    original, pipeline = report["original"], report["pipeline"]
    assert [p["image"] for p in original["pages"]] == ["p01.png", "p02.png"]
    assert [p["image"] for p in pipeline["pages"]] == ["p01.png", "p02.png"]
    for through, direct in zip(pipeline["pages"], original["pages"], strict=True):
        # The sample server serves the PNG itself and ingest keeps it: the same text.
        assert direct["cer"] < 0.05, direct["text"]
        assert through["text"] == direct["text"]
        assert through["cer"] == direct["cer"]
    assert pipeline["mean_cer"] == original["mean_cer"]
