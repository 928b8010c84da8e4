"""`recto eval --through-pipeline`: the same pages and plans through a running Recto.

The ground-truth pages are served by the sample IIIF server (one manifest per plan) and
imported like any manuscript, so ingest fetches and derives them and the analyzers read the
derivatives; each page's stored analysis is then scored exactly as the original file's was.
Without `--gateway`, a Recto is started here for the run, as `recto demo` does.
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

from rich.console import Console

from analyzer.application.evaluation import (
    EvaluationReport,
    PageEvaluation,
    PlanChoice,
    score_page,
    summarise,
    unread_page,
)
from analyzer.formats.ground_truth import GroundTruthPage, find_ground_truth
from contracts import PageAnalysis, Plan
from recto.client import GatewayClient
from recto.commands import wait_for
from recto.sample.iiif_server import serving
from recto.sample.pages import SamplePage
from recto.stack import running_stack


def _sample(truth: GroundTruthPage, number: int) -> SamplePage:
    from PIL import Image

    with Image.open(truth.image) as opened:
        width, height = opened.size
    data = truth.image.read_bytes()
    return SamplePage(f"p{number:02d}", truth.image.stem, data, width, height, truth)


def evaluate_through_pipeline(
    gt_dir: Path,
    choose: PlanChoice,
    *,
    gateway: str | None,
    api_key: str | None,
    state_dir: Path,
    console: Console | None = None,
) -> EvaluationReport:
    console = console or Console(stderr=True)
    started = time.perf_counter()
    groups: dict[str, tuple[Plan, list[SamplePage]]] = {}
    for number, truth in enumerate(find_ground_truth(gt_dir), start=1):
        plan, _ = choose(truth)
        key = plan.model_dump_json()
        groups.setdefault(key, (plan, []))[1].append(_sample(truth, number))
    pages: dict[str, PageEvaluation] = {}
    with contextlib.ExitStack() as stack:
        if gateway is None:
            env = {"RECTO_AUTH": "off", "RECTO_FETCH_ALLOW": "127.0.0.1"}
            gateway = stack.enter_context(running_stack(state_dir, extra_env=env)).gateway_url
        client = GatewayClient(gateway, api_key)
        stack.callback(client.close)
        corpus_id = client.ensure_corpus("recto-eval", "recto eval")
        imports = []
        for plan, samples in groups.values():
            url = stack.enter_context(serving(samples, f"recto eval ({plan.profile or 'plan'})"))
            imports.append((samples, client.import_manifest(corpus_id, url, plan)))
        for samples, accepted in imports:
            wait_for(client, str(accepted["job_id"]), console)
            for found in client.pages(str(accepted["manuscript_id"])):
                sample = samples[found["index"]]
                assert sample.ground_truth is not None
                pages[sample.name] = _score(gt_dir, sample.ground_truth, client, found)
    ordered = [pages[name] for name in sorted(pages)]
    return summarise(str(gt_dir), ordered, None, time.perf_counter() - started)


def _score(
    root: Path, truth: GroundTruthPage, client: GatewayClient, found: dict[str, object]
) -> PageEvaluation:
    links = found.get("links")
    if not isinstance(links, dict) or "analysis" not in links:
        note = f"not analysed through the pipeline: {found.get('status')} {found.get('last_error')}"
        return unread_page(root, truth, 0.0, note)
    analysis = PageAnalysis.model_validate_json(client.download(str(links["analysis"])))
    return score_page(root, truth, analysis, (analysis.duration_ms or 0.0) / 1000)
