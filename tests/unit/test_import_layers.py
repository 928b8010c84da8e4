"""The import-layer contracts `make lint` runs (ADR 0020) refuse an import against the layers.

The service layers configured in `pyproject.toml` are applied to a small package made here:
once as the layers allow, once with a domain that imports an adapter.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def service_layers() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    (contract,) = (c for c in config["contracts"] if c.get("containers"))
    return list(contract["layers"])


def lint(tmp_path: Path, domain_source: str) -> subprocess.CompletedProcess[str]:
    package = tmp_path / "fakesvc"
    for layer in ("domain", "application", "adapters", "entrypoints"):
        (package / layer).mkdir(parents=True)
        (package / layer / "__init__.py").write_text("")
    (package / "__init__.py").write_text("")
    (package / "bootstrap.py").write_text("import fakesvc.entrypoints.api\n")
    (package / "entrypoints" / "api.py").write_text("import fakesvc.application.handlers\n")
    (package / "adapters" / "db.py").write_text("import fakesvc.application.handlers\n")
    (package / "application" / "handlers.py").write_text("import fakesvc.domain.model\n")
    (package / "domain" / "model.py").write_text(domain_source)
    layers = ", ".join(f'"{layer}"' for layer in service_layers())
    config = tmp_path / "layers.toml"
    config.write_text(
        '[tool.importlinter]\nroot_packages = ["fakesvc"]\n\n'
        '[[tool.importlinter.contracts]]\nname = "service layers"\ntype = "layers"\n'
        f'containers = ["fakesvc"]\nlayers = [{layers}]\nexhaustive = false\n'
    )
    return subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports"), str(config), "--no-cache"],
        cwd=tmp_path,
        env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )


def test_imports_down_the_layers_are_kept(tmp_path: Path) -> None:
    result = lint(tmp_path, "import json\n")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "KEPT" in result.stdout


@pytest.mark.parametrize("upward", ["fakesvc.adapters.db", "fakesvc.application.handlers"])
def test_a_domain_importing_upwards_breaks_the_contract(tmp_path: Path, upward: str) -> None:
    result = lint(tmp_path, f"import {upward}\n")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "BROKEN" in result.stdout
    assert f"fakesvc.domain is not allowed to import {upward.rsplit('.', 1)[0]}" in result.stdout
