"""The command line against a running stack with API keys on: key, upload, status, rebuild."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from recto.sample.pages import generated_pages
from recto.stack import running_stack

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def recto(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "recto", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )


def test_import_a_folder_with_a_key_follow_it_and_rebuild_the_read_models(tmp_path: Path) -> None:
    folder = tmp_path / "letters"
    folder.mkdir()
    for page in generated_pages(2):
        (folder / f"{page.name}.png").write_bytes(page.data)
    state_dir = Path(tempfile.mkdtemp(prefix="recto-cli-", dir="/tmp"))
    with running_stack(state_dir, analyzers=1) as stack:
        env = {
            **os.environ,
            "RECTO_DATABASE_URL": stack.database_url,
            "RECTO_GATEWAY_URL": stack.gateway_url,
            "COLUMNS": "200",
        }
        env.pop("RECTO_API_KEY", None)

        # Without a key the gateway refuses; an admin key made by the CLI is accepted.
        refused = recto("import", str(folder), "--corpus", "letters", env=env)
        assert refused.returncode != 0
        assert "Unauthorized" in refused.stderr + refused.stdout
        created = recto("keys", "create", "--scope", "admin", env=env)
        assert created.returncode == 0, created.stderr
        env["RECTO_API_KEY"] = created.stdout.strip()

        imported = recto("import", str(folder), "--corpus", "letters", "--wait", env=env)
        assert imported.returncode == 0, imported.stdout + imported.stderr
        job_id = re.search(r"job ([0-9a-f-]{36})", imported.stdout)
        assert job_id is not None
        status = recto("status", job_id.group(1), env=env)
        assert status.returncode == 0, status.stderr
        assert re.search(r"exported\s+│\s+2", status.stdout), status.stdout

        # Rebuilt from the log (by this command or the gateway's own runner, whichever is
        # first after the reset), the job reads the same again.
        rebuilt = recto("projections", "rebuild", env=env)
        assert rebuilt.returncode == 0, rebuilt.stderr
        assert "gateway-read-models:" in rebuilt.stdout
        assert "gateway-search:" in rebuilt.stdout
        assert recto("status", job_id.group(1), env=env).stdout == status.stdout


def test_the_readme_command_runs_from_any_working_folder(tmp_path: Path) -> None:
    launcher = Path(__file__).resolve().parents[2] / "recto"

    result = subprocess.run(
        [str(launcher), "--help"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert "import" in result.stdout
    assert "up" in result.stdout


@pytest.mark.skipif(os.geteuid() != 0, reason="data is relocated only when run as root")
def test_a_database_that_cannot_start_is_explained_in_one_line(tmp_path: Path) -> None:
    state_dir = tmp_path / "state"
    (state_dir / "postgres").mkdir(parents=True)
    (state_dir / "postgres" / "data-location").write_text(f"{tmp_path / 'vanished'}\n")
    env = {k: v for k, v in os.environ.items() if k not in ("RECTO_DATABASE_URL", "COLUMNS")}

    result = recto("up", "--state-dir", str(state_dir), env=env)

    assert result.returncode == 1
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1, result.stdout + result.stderr
    assert lines[0].startswith("error:")
    assert "delete" in lines[0]
    assert "Traceback" not in result.stderr
