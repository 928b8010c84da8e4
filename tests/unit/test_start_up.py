"""What a service process imports before it is ready: its own code and what that needs, not
the libraries of work it may never do (the cost is measured in `bench/startup.py`)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from alembic.script import ScriptDirectory

from recto.services import every_migration

# What `recto serve NAME` imports before serving (see `recto.services`), and what it must not.
SERVICES = {
    "relay": "infra.messaging.relay_process",
    "ingest": "ingest.bootstrap, infra.service",
    "analyzer": "analyzer.bootstrap, infra.service",
    "exporter": "exporter.bootstrap, infra.service",
    "gateway": "gateway.bootstrap, gateway.entrypoints.server, analyzer.application.prompts",
}
NEVER = {"alembic", "sqlalchemy", "typer", "rich", "pygments", "mako"}
NOT_BEFORE_USE = {
    "relay": {"faststream", "uvicorn", "click"},
    "ingest": {"pypdfium2", "uvicorn", "click"},
    "analyzer": {"jinja2", "tesserocr", "uvicorn", "click"},
    "exporter": {"pikepdf", "fontTools", "stream_zip", "shapely", "numpy", "uvicorn", "click"},
    "gateway": {"jinja2"},  # uvicorn serves it, and needs click
}


def loaded(service: str) -> set[str]:
    code = (
        "import sys\n"
        "from recto.__main__ import _skip_optional_imports\n"
        f"_skip_optional_imports({service!r})\n"
        f"import recto.services, {SERVICES[service]}\n"
        "loaded = {m.split('.')[0] for m, module in sys.modules.items() if module is not None}\n"
        "print(' '.join(sorted(loaded)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    return set(result.stdout.split())


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_imports_no_more_than_it_needs(service: str) -> None:
    modules = loaded(service)

    assert "contracts" in modules  # it did import the service
    assert modules & (NEVER | NOT_BEFORE_USE[service]) == set()


def test_heads_read_from_the_files_are_alembic_s() -> None:
    for migrations in every_migration():
        heads = ScriptDirectory(str(migrations.script_location)).get_heads()
        assert migrations.heads == set(heads), migrations.script_location
