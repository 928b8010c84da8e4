"""`recto eval`: a plan on ground truth, from the original files and, if asked, the pipeline."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anyio
import httpx
import typer
from rich.console import Console
from rich.table import Table

from analyzer.application.evaluation import (
    EvaluationReport,
    Layout,
    PageEvaluation,
    PlanChoice,
    by_collection,
    evaluate_folder,
    one_plan,
    tesseract_plan,
)
from analyzer.application.plans import validate_plan
from analyzer.application.profiles import load_profiles
from analyzer.application.prompts import PromptTemplates
from analyzer.bootstrap import evaluation_ports
from contracts import Plan


def plan_choice(profile: str | None, plan_file: Path | None, languages: list[str]) -> PlanChoice:
    profiles = load_profiles()
    if profile is not None:
        if profile not in profiles:
            raise typer.BadParameter(f"unknown profile {profile!r}; known: {sorted(profiles)}")
        chosen = profiles[profile]
        return lambda truth: (chosen.plan(), chosen)
    if plan_file is not None:
        try:
            plan = Plan.model_validate_json(plan_file.read_bytes())
        except (OSError, ValueError) as error:
            raise typer.BadParameter(f"cannot read the plan {plan_file}: {error}") from None
        if problems := validate_plan(plan, PromptTemplates()):
            raise typer.BadParameter("invalid plan: " + "; ".join(problems))
        return one_plan(plan, profiles)
    if languages:
        return one_plan(tesseract_plan(languages), profiles)
    return by_collection(profiles)


async def evaluate_originals(
    gt_dir: Path, choose: PlanChoice, layout: Layout = "engine"
) -> EvaluationReport:
    async with httpx.AsyncClient() as client:
        return await evaluate_folder(gt_dir, evaluation_ports(client), choose, layout)


def evaluate_command(
    gt_dir: Path,
    *,
    profile: str | None,
    plan_file: Path | None,
    languages: list[str],
    through_pipeline: bool,
    gateway: str | None,
    api_key: str | None,
    state_dir: Path,
    as_json: bool,
    console: Console,
    layout: Layout = "engine",
) -> None:
    choose = plan_choice(profile, plan_file, languages)
    report = anyio.run(evaluate_originals, gt_dir, choose, layout)
    pipeline: EvaluationReport | None = None
    if through_pipeline:
        from recto.evaluate_pipeline import evaluate_through_pipeline

        pipeline = evaluate_through_pipeline(
            gt_dir, choose, gateway=gateway, api_key=api_key, state_dir=state_dir
        )
    if as_json:
        document: dict[str, Any] = report.model_dump(mode="json")
        if pipeline is not None:
            document = {"original": document, "pipeline": pipeline.model_dump(mode="json")}
        print(json.dumps(document, indent=2, ensure_ascii=False))
        return
    console.print(report_table(report, pipeline))


def _rate(value: float | None) -> str:
    return "-" if value is None else f"{value:.2%}"


def _candidates(page: PageEvaluation) -> str:
    cells = []
    for candidate in page.candidates:
        score = candidate.scores.get("mean_word_confidence")
        mark = "*" if candidate.chosen else ""
        cells.append(
            f"{mark}{'+'.join(candidate.languages) or candidate.engine}"
            f" {'-' if score is None else f'{score:.2f}'} {_rate(candidate.cer)}"
        )
    return "; ".join(cells)


def report_table(report: EvaluationReport, pipeline: EvaluationReport | None = None) -> Table:
    title = f"Recto (Tesseract {report.engine_version or '?'}) on {report.gt_dir}"
    if report.layout == "ground-truth":
        title += ", regions of the ground truth"
    table = Table(title=title)
    columns = ["page", "read with", "ppi", "CER", "WER"]
    if pipeline is not None:
        columns += ["CER pipeline", "ppi pipeline"]
    columns += ["s", "candidates (*kept, confidence, CER)"]
    for column in columns:
        table.add_column(column)
    through = {page.image: page for page in pipeline.pages} if pipeline else {}
    for page in report.pages:
        row = [
            Path(page.image).name,
            f"{page.engine or '-'} {page.model or ''}".strip(),
            str(page.ppi or "-"),
            _rate(page.cer),
            _rate(page.wer),
        ]
        if pipeline is not None:
            other = through.get(page.image)
            row += [_rate(other.cer if other else None), str(other.ppi or "-") if other else "-"]
        row += [f"{page.seconds:.1f}", _candidates(page)]
        table.add_row(*row)
    summary = [
        ("mean over pages", report.mean_cer, report.mean_wer, "mean_cer"),
        ("micro-averaged", report.micro_cer, report.micro_wer, "micro_cer"),
    ]
    for label, cer, wer, field in summary:
        row = [f"[bold]{label}[/bold]", "", "", _rate(cer), _rate(wer)]
        if pipeline is not None:
            row += [_rate(getattr(pipeline, field)), ""]
        row += ["", ""]
        table.add_row(*row)
    return table
