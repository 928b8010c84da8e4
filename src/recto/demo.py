"""`recto demo`: the whole stack on a sample manuscript, then a summary of what came out."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from analyzer.application.cer import cer
from analyzer.application.evaluation import collection_profile, offline_plan, recognised_text
from analyzer.application.profiles import CorpusProfile
from contracts import EngineStep, PageAnalysis, Plan
from contracts.errors import InvalidDocument
from exporter.formats.xsd import Schema, validate
from infra.testing.corpora import corpora_root
from recto.client import GatewayClient
from recto.progress import follow_job
from recto.sample.iiif_server import serving
from recto.sample.pages import SamplePage, corpus_pages, generated_pages
from recto.stack import running_stack
from recto.stack_settings import StackSettings

MAX_SAMPLE_PAGES = 12


@dataclass(frozen=True)
class SampleManuscript:
    label: str
    languages: list[str]
    pages: list[SamplePage]
    plan: Plan


def sample_manuscripts() -> list[SampleManuscript]:
    """Real pages of the shared corpora grouped by the profile `recto eval` reads them with
    (its Tesseract step: the demo needs no VLM), else generated pages."""
    root = corpora_root()
    pages = corpus_pages(root / "ocr-gt", MAX_SAMPLE_PAGES) if root else []
    if not pages:
        plan = Plan(primary=EngineStep(engine="tesseract", languages=["eng"]))
        return [
            SampleManuscript("Recto sample (generated pages)", ["eng"], generated_pages(4), plan)
        ]
    groups: dict[str, tuple[CorpusProfile, list[SamplePage]]] = {}
    for page in pages:
        assert page.ground_truth is not None
        profile = collection_profile(page.ground_truth.image)
        groups.setdefault(profile.name, (profile, []))[1].append(page)
    return [
        SampleManuscript(
            f"Recto sample ({name})", profile.languages, members, offline_plan(profile)
        )
        for name, (profile, members) in groups.items()
    ]


@contextlib.contextmanager
def served(manuscripts: list[SampleManuscript]) -> Iterator[list[str]]:
    with contextlib.ExitStack() as stack:
        yield [stack.enter_context(serving(m.pages, m.label)) for m in manuscripts]


def page_summary(client: GatewayClient, page: dict[str, Any], sample: SamplePage) -> dict[str, Any]:
    links: dict[str, str] = page["links"]
    summary: dict[str, Any] = {
        "label": sample.label,
        "status": page["status"],
        "engine": page["engine"],
        "mean_confidence": page["confidence"],
        "outputs": {
            k: v for k, v in links.items() if k in ("alto", "page", "text", "annotations", "hocr")
        },
    }
    if page["status"] != "exported":
        summary["error"] = page["last_error"]
        return summary
    for name, schema in (("alto", Schema.ALTO), ("page", Schema.PAGE)):
        try:
            validate(schema, client.download(links[name]))
            summary[f"{name}_valid"] = True
        except InvalidDocument as error:
            summary[f"{name}_valid"] = False
            summary[f"{name}_error"] = str(error)
    truth = sample.ground_truth
    if truth is not None and truth.text.strip() and "analysis" in links:
        # Scored as `recto eval` scores: the text OCR-D reads from the PAGE export.
        analysis = PageAnalysis.model_validate_json(client.download(links["analysis"]))
        summary["cer"] = round(cer(truth.text, recognised_text(analysis)), 4)
    return summary


def run_demo(state_dir: Path, *, exit_after: bool, console: Console) -> dict[str, Any]:
    manuscripts = sample_manuscripts()
    started = time.monotonic()
    with (
        served(manuscripts) as manifest_urls,
        running_stack(
            state_dir, extra_env={"RECTO_AUTH": "off", "RECTO_FETCH_ALLOW": "127.0.0.1"}
        ) as stack,
    ):
        ready = time.monotonic()
        console.print(
            f"gateway: {stack.gateway_url}  (dashboard: {stack.gateway_url}/)", soft_wrap=True
        )
        client = GatewayClient(stack.gateway_url)
        corpus_id = client.ensure_corpus("sample", "Recto sample")
        jobs = []
        for manuscript, url in zip(manuscripts, manifest_urls, strict=True):
            jobs.append(client.import_manifest(corpus_id, url, manuscript.plan))
        for manuscript, accepted in zip(manuscripts, jobs, strict=True):
            console.print(f"[bold]{manuscript.label}[/bold]: {len(manuscript.pages)} pages")
            asyncio.run(follow_job(client, str(accepted["job_id"]), console))
        finished = time.monotonic()
        summaries = [
            manuscript_summary(client, manuscript, str(accepted["manuscript_id"]))
            for manuscript, accepted in zip(manuscripts, jobs, strict=True)
        ]
        pages = [page for m in summaries for page in m["pages"]]
        summary: dict[str, Any] = {
            "gateway": stack.gateway_url,
            "startup_seconds": round(ready - started, 1),
            "processing_seconds": round(finished - ready, 1),
            "pages": len(pages),
            "pages_exported": sum(1 for p in pages if p["status"] == "exported"),
            "manuscripts": summaries,
        }
        if not exit_after:
            print_summary(summary, console)
            console.print("Recto keeps running: press Ctrl-C to stop it.")
            with contextlib.suppress(KeyboardInterrupt):
                while True:
                    time.sleep(3600)
        client.close()
    return summary


def manuscript_outputs(client: GatewayClient, manuscript_id: str) -> Any:
    """The manuscript once its IIIF manifest, METS and bundle are recorded (just after its job),
    or as it is after `RECTO_RESULT_TIMEOUT` seconds."""
    deadline = time.monotonic() + StackSettings().result_timeout
    while True:
        found = client.manuscript(manuscript_id)
        if "mets" in found["links"] or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def manuscript_summary(
    client: GatewayClient, manuscript: SampleManuscript, manuscript_id: str
) -> dict[str, Any]:
    found = manuscript_outputs(client, manuscript_id)
    pages = sorted(client.pages(manuscript_id), key=lambda p: p["index"])
    return {
        "id": manuscript_id,
        "label": manuscript.label,
        "languages": manuscript.languages,
        "status": found["status"],
        "outputs": found["links"],
        "pages": [page_summary(client, p, manuscript.pages[p["index"]]) for p in pages],
    }


def print_summary(summary: dict[str, Any], console: Console) -> None:
    table = Table(title=f"{summary['pages_exported']}/{summary['pages']} pages exported")
    for column in ("manuscript", "page", "status", "confidence", "CER", "ALTO", "PAGE"):
        table.add_column(column)
    for manuscript in summary["manuscripts"]:
        for page in manuscript["pages"]:
            confidence = page.get("mean_confidence")
            table.add_row(
                manuscript["label"],
                page["label"],
                page["status"],
                f"{confidence:.2f}" if confidence is not None else "-",
                f"{page['cer']:.1%}" if "cer" in page else "-",
                "valid" if page.get("alto_valid") else "-",
                "valid" if page.get("page_valid") else "-",
            )
    console.print(table)
    for manuscript in summary["manuscripts"]:
        console.print(f"[bold]{manuscript['label']}[/bold]")
        for name, link in manuscript["outputs"].items():
            # Never wrapped: a link broken across lines can be neither clicked nor copied.
            console.print(f"  {name}: {summary['gateway']}{link}", soft_wrap=True, highlight=False)
    console.print(
        f"started in {summary['startup_seconds']} s, processed in {summary['processing_seconds']} s"
    )
