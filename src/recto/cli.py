"""The `recto` command line."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import Annotated

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
