"""The `recto` command line."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated, ParamSpec, TypeVar
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
P = ParamSpec("P")
R = TypeVar("R")

StateDir = Annotated[Path, typer.Option(help="where embedded servers and artifacts live")]


def say(line: str) -> None:
    """Print as is: log lines hold brackets that are not markup, and long lines stay whole."""
    console.print(line, markup=False, highlight=False, soft_wrap=True)


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
def provision() -> None:
    """Create or update the JetStream streams (RECTO_NATS_URL) with RECTO_NATS_REPLICAS replicas."""
    import anyio

    from recto.services import provision_streams

    settings = Settings()
    anyio.run(provision_streams, settings)
    console.print(f"streams provisioned with {settings.nats_replicas} replica(s)")


@app.command()
def healthcheck(
    name: Annotated[str, typer.Argument(help=" | ".join(SERVICES))],
    replica: Annotated[
        str | None,
        typer.Option(
            help="one process's id (its RECTO_REPLICA); default: RECTO_REPLICA if set, "
            "else every process of NAME on this host"
        ),
    ] = None,
) -> None:
    """Exit 0 while the process beats a fresh heartbeat saying it is ready, 1 otherwise."""
    from infra.health import STALE_AFTER_BEATS, check_service

    settings = Settings()
    verdict = check_service(
        settings.state_dir,
        name,
        replica=replica or settings.replica,
        max_age=STALE_AFTER_BEATS * settings.heartbeat_seconds,
    )
    print(verdict.reason)
    if not verdict.ok:
        raise typer.Exit(1)


@app.command()
def up(
    gateway_port: Annotated[int | None, typer.Option(help="default: a free port")] = None,
    analyzers: Annotated[int, typer.Option(min=1, help="analyzer processes")] = 2,
    state_dir: StateDir = Path(".state"),
) -> None:
    """Start every service, with embedded PostgreSQL and NATS unless RECTO_*_URL name servers.

    Every process is supervised: one that dies is restarted (and reported), one that keeps
    dying stops Recto. RECTO_READY_TIMEOUT, RECTO_RESTART_LIMIT, RECTO_RESTART_WINDOW,
    RECTO_RESTART_BACKOFF(_MAX) and RECTO_STOP_GRACE tune the waits.
    """
    from recto.stack import StackFailed, StackNotReady, running_stack

    stopping = False

    def stop(*_: object) -> None:
        # The first signal unwinds the main thread, which stops every process; later ones
        # must not interrupt that.
        nonlocal stopping
        if not stopping:
            stopping = True
            raise KeyboardInterrupt

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, stop)
    try:
        with running_stack(
            state_dir, gateway_port=gateway_port, analyzers=analyzers, report=say
        ) as stack:
            say(f"database: {stack.database_url}")
            say(f"nats: {stack.nats_url}")
            say(f"gateway: {stack.gateway_url}")
            stack.supervisor.finished.wait()
    except KeyboardInterrupt:
        say("stopped")
    except StackNotReady as error:
        say(str(error))
        raise typer.Exit(1) from None
    except StackFailed:
        say("stopped: a process kept dying (see above)")
        raise typer.Exit(1) from None


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
    layout: Annotated[
        str,
        typer.Option(
            help="whose regions are read: `engine` (its own layout analysis, end to end) or "
            "`ground-truth` (each region of the ground truth cut out and read alone: "
            "recognition apart from segmentation)"
        ),
    ] = "engine",
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
    if layout not in ("engine", "ground-truth"):
        raise typer.BadParameter("--layout is `engine` or `ground-truth`")
    if layout == "ground-truth" and through_pipeline:
        raise typer.BadParameter("the pipeline reads with its own layout: no --through-pipeline")
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
        layout="ground-truth" if layout == "ground-truth" else "engine",
    )


keys = typer.Typer(help="API keys.")
projections = typer.Typer(help="Read models.")
app.add_typer(keys, name="keys")
app.add_typer(projections, name="projections")


@keys.command("create")
def create_key(
    name: Annotated[
        str | None, typer.Option(help="the person or service it is for (default: bootstrap)")
    ] = None,
    scope: Annotated[list[str], typer.Option(help="read, write or admin; repeatable")] = ["read"],  # noqa: B006
    corpus: Annotated[list[UUID], typer.Option(help="limit the key to these corpora")] = [],  # noqa: B006
    expires: Annotated[
        str | None, typer.Option(help="ISO 8601 time with its offset, e.g. 2027-01-31T00:00Z")
    ] = None,
    gateway: Gateway = "http://127.0.0.1:8000",
    api_key: ApiKey = None,
) -> None:
    """Create an API key and print its secret, once (only its hash is kept).

    With an admin key (RECTO_API_KEY) it is asked of the gateway; without one it is made
    straight in the database (RECTO_DATABASE_URL), which is how the first admin key is made.
    """
    expires_at = _aware_time(expires) if expires else None
    if api_key:
        if not name:
            raise typer.BadParameter("a key made through the gateway needs a --name")
        from recto.client import GatewayClient

        created = _asking_gateway(GatewayClient(gateway, api_key).create_key)(
            name,
            scope,
            [str(c) for c in corpus] or None,
            expires_at.isoformat() if expires_at else None,
        )
        secret, key_id = created["secret"], created["id"]
    else:
        import anyio

        from recto.commands import create_key as create

        secret = anyio.run(create, Settings(), name or "bootstrap", scope, corpus, expires_at)
        key_id = secret.split("_")[1]
    Console(stderr=True).print(f"key {key_id} created; its secret is shown this once:")
    print(secret)


@keys.command("list")
def list_keys(gateway: Gateway = "http://127.0.0.1:8000", api_key: ApiKey = None) -> None:
    """List every API key (never a secret). Needs an admin key."""
    from recto.client import GatewayClient
    from recto.commands import key_table

    console.print(key_table(_asking_gateway(GatewayClient(gateway, api_key).keys)()))


@keys.command("revoke")
def revoke_key(
    key_id: Annotated[str, typer.Argument(help="the key's id (`recto keys list`)")],
    reason: Annotated[str | None, typer.Option(help="recorded with the revocation")] = None,
    gateway: Gateway = "http://127.0.0.1:8000",
    api_key: ApiKey = None,
) -> None:
    """Revoke an API key: no gateway replica accepts it any more. Needs an admin key."""
    from recto.client import GatewayClient

    revoked = _asking_gateway(GatewayClient(gateway, api_key).revoke_key)(key_id, reason)
    console.print(f"key {revoked['id']} ({revoked['name']}) revoked at {revoked['revoked_at']}")


def _asking_gateway(call: Callable[P, R]) -> Callable[P, R]:
    """`call`, with the gateway's refusals printed as one line and exit status 1."""
    from recto.client import GatewayError

    def asking(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return call(*args, **kwargs)
        except GatewayError as error:
            Console(stderr=True).print(f"[red]{error}[/red]")
            raise typer.Exit(1) from None

    return asking


def _aware_time(text: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"not an ISO 8601 time: {text!r}") from None
    if parsed.tzinfo is None:
        raise typer.BadParameter("give the time with its offset, e.g. 2027-01-31T00:00Z")
    return parsed


@projections.command("rebuild")
def rebuild() -> None:
    """Empty every read model and rebuild it from the event log. Needs RECTO_DATABASE_URL."""
    import anyio

    from recto.commands import rebuild_projections

    for name, applied in anyio.run(rebuild_projections, Settings()).items():
        console.print(f"{name}: {applied} events applied")


@app.command()
def backup(
    file: Annotated[Path, typer.Argument(help="the backup to write (gzip-compressed JSON lines)")],
    state_dir: StateDir = Path(".state"),
) -> None:
    """Write the event log to FILE: every event in order, with its metadata, and the artifacts
    the events reference (copy the artifact folder beside it). Reads RECTO_DATABASE_URL, else
    the embedded PostgreSQL of --state-dir while Recto is stopped."""
    import anyio

    from recto.backup import write_backup
    from recto.databases import command_database

    with command_database(state_dir, create=False) as database_url:
        summary = anyio.run(write_backup, database_url, file)
    say(
        f"{file}: {summary.events} events (up to position {summary.last_position}),"
        f" {summary.artifacts} artifacts referenced"
    )


@app.command()
def restore(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="a backup by `recto backup`")
    ],
    state_dir: StateDir = Path(".state"),
) -> None:
    """Load a backup into an empty event store (RECTO_DATABASE_URL, else the embedded
    PostgreSQL of --state-dir, created if new), before Recto starts on it. The read models
    are rebuilt by `recto projections rebuild`, or when the gateway starts."""
    import anyio

    from infra.eventstore.backup import RelayRunning, StoreNotEmpty
    from recto.backup import NotABackup, restore_backup
    from recto.databases import command_database
    from recto.services import migrate_all

    artifacts = Settings().artifacts if "RECTO_ARTIFACTS" in os.environ else state_dir / "artifacts"
    with command_database(state_dir, create=True) as database_url:
        migrate_all(Settings(database_url=database_url))
        try:
            restored = anyio.run(restore_backup, database_url, file, artifacts)
        except (StoreNotEmpty, RelayRunning, NotABackup) as error:
            say(f"not restored: {error}")
            raise typer.Exit(1) from None
    say(
        f"{restored.events} events restored (positions now end at {restored.last_position});"
        f" {restored.artifacts} artifacts referenced,"
        f" {restored.artifacts - len(restored.missing)} of them in {artifacts}"
    )
    if restored.missing:
        say(
            f"missing from {artifacts}: {', '.join(restored.missing[:5])}"
            + (f" and {len(restored.missing) - 5} more" if len(restored.missing) > 5 else "")
        )
