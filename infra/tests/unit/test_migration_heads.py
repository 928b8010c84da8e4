"""The heads of a set of migrations, read from its files as Alembic would find them."""

from __future__ import annotations

from pathlib import Path

from infra.locks import AdvisoryLock
from infra.migrations import Migrations


def migrations(tmp_path: Path, files: dict[str, str]) -> Migrations:
    versions = tmp_path / "versions"
    versions.mkdir(parents=True)
    for name, text in files.items():
        (versions / name).write_text(text)
    return Migrations(tmp_path, "alembic_version_test", AdvisoryLock.EVENT_STORE_MIGRATIONS)


def test_the_head_of_a_chain_is_its_last_revision(tmp_path: Path) -> None:
    found = migrations(
        tmp_path,
        {
            "a.py": 'revision = "a"\ndown_revision = None\n',
            "b.py": 'revision: str = "b"\ndown_revision: str | None = "a"\n',
            "c.py": '"""c"""\nimport os\nrevision = "c"\ndown_revision = "b"\n',
        },
    )

    assert found.heads == {"c"}


def test_branches_have_a_head_each_until_merged(tmp_path: Path) -> None:
    files = {
        "a.py": 'revision = "a"\ndown_revision = None\n',
        "b.py": 'revision = "b"\ndown_revision = "a"\n',
        "c.py": 'revision = "c"\ndown_revision = "a"\n',
    }
    assert migrations(tmp_path / "1", files).heads == {"b", "c"}

    files["m.py"] = 'revision = "m"\ndown_revision = ("b", "c")\n'
    assert migrations(tmp_path / "2", files).heads == {"m"}


def test_a_revision_that_is_not_a_literal_leaves_the_decision_to_alembic(tmp_path: Path) -> None:
    found = migrations(
        tmp_path,
        {
            "a.py": 'revision = "a"\ndown_revision = None\n',
            "b.py": 'import os\nrevision = os.environ["X"]\ndown_revision = "a"\n',
        },
    )

    assert found.heads == frozenset()
