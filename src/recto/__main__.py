"""`recto`: the command line; a failure the user can act on is one line, not a traceback."""

from __future__ import annotations

import sys

from infra.embedded import EmbeddedPostgresError
from recto import SERVICES


def _skip_optional_imports(service: str) -> None:
    """Refuse what libraries import only because it is installed, and a service never uses:
    httpx's command line (rich, click, pygments: ~0.2 s of CPU) and, outside the gateway,
    uvicorn, which faststream loads to offer ASGI serving (~0.1 s). Both libraries expect the
    ImportError and carry on without; a module in `sys.modules` as None raises it."""
    refused = ["httpx._main"] if service == "gateway" else ["httpx._main", "uvicorn"]
    for name in refused:
        if name not in sys.modules:
            sys.modules[name] = None  # type: ignore[assignment]  # None: "not importable"


def main() -> None:
    arguments = sys.argv[1:]
    if len(arguments) == 2 and arguments[0] == "serve" and arguments[1] in SERVICES:
        # How every container and every process of `recto up` starts: straight to the
        # service, without the command line's parser and console (typer, rich), whose imports
        # cost each start a few tenths of a second of CPU.
        _skip_optional_imports(arguments[1])
        from recto.services import serve

        serve(arguments[1])
        return
    from recto.cli import app, console

    try:
        app()
    except EmbeddedPostgresError as error:
        console.print(f"[red]error:[/red] {error}", soft_wrap=True, highlight=False)
        sys.exit(1)


if __name__ == "__main__":
    main()
