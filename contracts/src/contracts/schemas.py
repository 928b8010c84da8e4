"""JSON Schemas of every contract version, kept in `contracts/schemas/`.

A stored schema is the published shape of one version: it is never edited. Changing a model
without bumping its `schema_version` makes `changed_without_bump()` report it (a test fails);
`python -m contracts.schemas` writes the schema of each new version.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from pydantic import BaseModel

from contracts.analysis import PageAnalysis
from contracts.registry import event_types

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schemas"


def versioned_models() -> dict[str, tuple[int, type[BaseModel]]]:
    models: dict[str, tuple[int, type[BaseModel]]] = {
        name: (model.schema_version, model) for name, model in event_types().items()
    }
    models["page-analysis"] = (PageAnalysis.schema_version, PageAnalysis)
    return models


def schema_path(name: str, version: int) -> Path:
    return SCHEMA_DIR / f"{name}.v{version}.json"


def render(model: type[BaseModel]) -> str:
    return json.dumps(model.model_json_schema(mode="validation"), indent=2, sort_keys=True) + "\n"


def changed_without_bump() -> list[str]:
    problems = []
    for name, (version, model) in versioned_models().items():
        path = schema_path(name, version)
        if not path.exists():
            problems.append(
                f"{name} v{version}: no stored schema (run python -m contracts.schemas)"
            )
        elif path.read_text() != render(model):
            problems.append(f"{name} v{version}: model changed without a schema_version bump")
    return problems


def write_new_versions() -> list[Path]:
    written = []
    for name, (version, model) in versioned_models().items():
        path = schema_path(name, version)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(render(model))
            written.append(path)
    return written


if __name__ == "__main__":
    for written_path in write_new_versions():
        print(f"wrote {written_path.relative_to(SCHEMA_DIR.parent)}")
    if problems := changed_without_bump():
        print("\n".join(problems), file=sys.stderr)
        sys.exit(1)
