"""The `recto` command line."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import Annotated
from uuid import UUID

import typer
from rich.console import Console

from infra.settings import Settings
from recto import SERVICES

# Commands import what they need themselves: `recto healthcheck` runs every few seconds in
# each container and must stay cheap.

app = typer.Typer(
    help="Recto: manuscripts and printed books to validated transcriptions.", no_args_is_help=True
)
console = Console()

StateDir = Annotated[Path, typer.Option(help="where embedded servers and artifacts live")]


@app.command()
def serve(name: Annotated[str, typer.Argument(help=" | ".join(SERVICES))]) -> None:
    """Run one service, as a container would."""
    if name not in SERVICES:
        raise typer.BadParameter(f"choose one of {', '.join(SERVICES)}")
    from recto.services import serve as serve_service

    serve_service(name)


@app.command()
def migrate() -> None:
    """Bring the database (RECTO_DATABASE_URL) to the newest schema of every service."""
    from recto.services import migrate_all

    migrate_all(Settings())
    console.print("database migrated")


@app.command()
def healthcheck(name: Annotated[str, typer.Argument(help=" | ".join(SERVICES))]) -> None:
    """Exit 0 while the service in this container beats its heartbeat (container healthchecks)."""
    from infra.health import is_healthy

    if not is_healthy(Settings().state_dir / "health" / name):
        raise typer.Exit(1)


@app.command()
def up(
    gateway_port: Annotated[int | None, typer.Option(help="default: a free port")] = None,
    analyzers: Annotated[int, typer.Option(min=1, help="analyzer processes")] = 2,
    state_dir: StateDir = Path(".state"),
) -> None:
    """Start every service, with embedded PostgreSQL and NATS unless RECTO_*_URL name servers."""
    from recto.stack import running_stack

    stopped = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopped.set())
    with running_stack(state_dir, gateway_port=gateway_port, analyzers=analyzers) as stack:
        console.print(f"gateway: {stack.gateway_url}")
        stopped.wait()
    console.print("stopped")


@app.command()
def demo(
    exit_after: Annotated[bool, typer.Option("--exit", help="stop after the summary")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print the summary as JSON")] = False,
    state_dir: StateDir = Path(".state/demo"),
) -> None:
    """Start Recto, process a sample manuscript and summarise what came out."""
    import json

    from recto.demo import print_summary, run_demo

    quiet = Console(stderr=True) if as_json else console
    summary = run_demo(state_dir, exit_after=exit_after or as_json, console=quiet)
    if as_json:
        print(json.dumps(summary, indent=2))
    elif exit_after:
        print_summary(summary, console)
    if summary["pages_exported"] != summary["pages"]:
        raise typer.Exit(1)


Gateway = Annotated[str, typer.Option(envvar="RECTO_GATEWAY_URL", help="the gateway's base URL")]
ApiKey = Annotated[str | None, typer.Option(envvar="RECTO_API_KEY", help="an API key")]


@app.command("import")
def import_(
    source: Annotated[str, typer.Argument(help="IIIF manifest/collection URL or image folder")],
    corpus: Annotated[str, typer.Option(help="corpus slug, created if new")] = "default",
    profile: Annotated[str, typer.Option(help="corpus profile")] = "default",
    language: Annotated[list[str], typer.Option(help="tesseract language, repeatable")] = [],  # noqa: B006
    wait: Annotated[bool, typer.Option(help="follow the job's progress until it ends")] = False,
    gateway: Gateway = "http://127.0.0.1:8000",
    api_key: ApiKey = None,
) -> None:
    """Import a manuscript into a corpus; with --wait, show live progress per stage."""
    from recto.client import GatewayClient
    from recto.commands import import_source, job_table, wait_for

    client = GatewayClient(gateway, api_key)
    accepted = import_source(
        client, source, corpus=corpus, profile=profile, languages=language or ["eng"]
    )
    console.print(f"job {accepted['job_id']}: {gateway}{accepted['status_url']}")
    if wait:
        job = wait_for(client, str(accepted["job_id"]), console)
        console.print(job_table(job))
        if job["status"] != "done":
            raise typer.Exit(1)


@app.command()
def status(
    job: Annotated[str, typer.Argument(help="job id")],
    gateway: Gateway = "http://127.0.0.1:8000",
    api_key: ApiKey = None,
) -> None:
    """Show a job's status and counts per stage."""
    from recto.client import GatewayClient
    from recto.commands import job_table

    console.print(job_table(GatewayClient(gateway, api_key).job(job)))


@app.command("eval")
def evaluate(
    gt_dir: Annotated[Path, typer.Argument(help="pages with PAGE or ALTO ground truth")],
    profile: Annotated[
        str | None, typer.Option(help="read every page with this corpus profile's plan")
    ] = None,
    plan: Annotated[
        Path | None, typer.Option(help="read every page with this plan (a JSON file)")
    ] = None,
    language: Annotated[
        list[str], typer.Option(help="tesseract with this language set on every page")
    ] = [],  # noqa: B006
    through_pipeline: Annotated[
        bool,
        typer.Option(
            "--through-pipeline",
            help="also read each page through ingest and the analyzer (a running Recto, or "
            "one started here) and show both side by side",
        ),
    ] = False,
    gateway: Annotated[
        str | None, typer.Option(help="the running gateway for --through-pipeline")
    ] = None,
    api_key: ApiKey = None,
    state_dir: StateDir = Path(".recto/eval"),
    as_json: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
) -> None:
    """Read pages with ground truth as Recto would and score them as OCR-D does (CER, WER).

    By default each page gets its collection's corpus profile (German prints: german-fraktur,
    medieval manuscripts: medieval-textual, …). The JSON report has each page's recognised
    text, so its scores can be recomputed with any tool.
    """
    from recto.evaluate import evaluate_command

    choices = sum(1 for given in (profile, plan, language) if given)
    if choices > 1:
        raise typer.BadParameter("give at most one of --profile, --plan and --language")
    evaluate_command(
        gt_dir,
        profile=profile,
        plan_file=plan,
        languages=language,
        through_pipeline=through_pipeline,
        gateway=gateway,
        api_key=api_key,
        state_dir=state_dir,
        as_json=as_json,
        console=console,
    )


keys = typer.Typer(help="API keys.")
projections = typer.Typer(help="Read models.")
app.add_typer(keys, name="keys")
app.add_typer(projections, name="projections")


@keys.command("create")
def create_key(
    scope: Annotated[list[str], typer.Option(help="read, write or admin; repeatable")] = ["read"],  # noqa: B006
    corpus: Annotated[list[UUID], typer.Option(help="limit the key to these corpora")] = [],  # noqa: B006
) -> None:
    """Create an API key (printed once; only its hash is stored). Needs RECTO_DATABASE_URL."""
    import anyio

    from recto.commands import create_key as create

    console.print(anyio.run(create, Settings(), scope, corpus))


@projections.command("rebuild")
def rebuild() -> None:
    """Empty every read model and rebuild it from the event log. Needs RECTO_DATABASE_URL."""
    import anyio

    from recto.commands import rebuild_projections

    for name, applied in anyio.run(rebuild_projections, Settings()).items():
        console.print(f"{name}: {applied} events applied")
