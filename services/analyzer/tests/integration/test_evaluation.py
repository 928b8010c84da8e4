"""`recto eval` on any plan: a VLM plan is measured like Tesseract, against a loopback fake."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

from PIL import Image

from analyzer.application.cer import cer

PAGE_NS = "http://schema.primaresearch.org/PAGE/gts/pagecontent/2019-07-15"
TRUTH = "Qⁱ me metroit por faire bien\nDemain en prison malgre mien"
ANSWER = {
    "language": "fra",
    "regions": [
        {
            "type": "text",
            "bbox": [100, 50, 300, 200],
            "lines": [
                {"text": "Qⁱ me metroit por faire bien", "bbox": [100, 50, 300, 30]},
                {"text": "Demain en prifon malgre mien", "bbox": [100, 90, 290, 30]},
            ],
        },
        # Outside the ground truth's reading order: its text is not counted.
        {"type": "text", "bbox": [10, 700, 100, 40], "lines": []},
    ],
}


def ground_truth_folder(root: Path) -> Path:
    folder = root / "gt" / "cremma-sample"
    folder.mkdir(parents=True)
    buffer = io.BytesIO()
    Image.new("L", (500, 800), 255).save(buffer, "PNG")
    (folder / "f1.png").write_bytes(buffer.getvalue())
    (folder / "f1.xml").write_text(
        f'<PcGts xmlns="{PAGE_NS}"><Page imageFilename="f1.png" imageWidth="500" '
        'imageHeight="800"><ReadingOrder><OrderedGroup id="ro">'
        '<RegionRefIndexed index="0" regionRef="r1"/></OrderedGroup></ReadingOrder>'
        f'<TextRegion id="r1"><TextEquiv><Unicode>{TRUTH}</Unicode></TextEquiv></TextRegion>'
        '<TextRegion id="r2"><TextEquiv><Unicode>Explicit</Unicode></TextEquiv></TextRegion>'
        "</Page></PcGts>",
        encoding="utf-8",
    )
    return root / "gt"


def test_a_vlm_plan_is_evaluated_like_any_other(tmp_path: Path, fake_vlm_server) -> None:
    gt_dir = ground_truth_folder(tmp_path)
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"primary": {"engine": "vlm", "languages": ["fra"]}}))
    fake_vlm_server.chat(json.dumps(ANSWER))
    env = {
        **os.environ,
        "RECTO_VLM_BASE_URL": f"{fake_vlm_server.url}/v1",
        "RECTO_VLM_MODEL": "fake-vlm",
        "RECTO_VLM_API_KEY_ENV": "RECTO_TEST_VLM_KEY",
        "RECTO_TEST_VLM_KEY": "sk-test-key",
        "RECTO_VLM_MAX_ATTEMPTS": "1",
    }

    result = subprocess.run(
        [sys.executable, "-m", "recto", "eval", str(gt_dir), "--plan", str(plan), "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    (page,) = json.loads(result.stdout)["pages"]
    assert (page["engine"], page["model"]) == ("vlm", "fake-vlm")
    assert page["text"] == "Qⁱ me metroit por faire bien\nDemain en prifon malgre mien"
    assert page["cer"] == cer(TRUTH, page["text"]) == 1 / len(TRUTH)
    assert page["wer"] == 1 / 11
    # The model was asked once, for this page.
    (request,) = fake_vlm_server.requests
    assert request["model"] == "fake-vlm"


def test_without_a_configured_vlm_its_step_fails_and_the_fallback_reads(tmp_path: Path) -> None:
    gt_dir = ground_truth_folder(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("RECTO_VLM_")}
    env.pop("OPENAI_API_KEY", None)

    # modern-handwritten: a VLM first, Tesseract when it fails. No request leaves the machine.
    result = subprocess.run(
        [sys.executable, "-m", "recto", "eval", str(gt_dir), "--profile", "modern-handwritten"],
        capture_output=True,
        text=True,
        env={**env, "COLUMNS": "200"},
        timeout=300,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert "tesseract eng" in result.stdout
