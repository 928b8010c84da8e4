"""`recto`: the command line; a failure the user can act on is one line, not a traceback."""

from __future__ import annotations

import sys

from infra.embedded import EmbeddedPostgresError
from recto.cli import app, console


def main() -> None:
    try:
        app()
    except EmbeddedPostgresError as error:
        console.print(f"[red]error:[/red] {error}", soft_wrap=True, highlight=False)
        sys.exit(1)


if __name__ == "__main__":
    main()
