"""compose.yaml and infra/docker/Dockerfile, checked without a Docker engine: Compose v2 itself
validates and resolves the file, and the tests read the model it prints."""

from __future__ import annotations

import json
import re
import subprocess
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
RECTO_SERVICES = {"relay", "ingest", "analyzer", "exporter", "gateway"}
SHARING_ARTIFACTS = {"ingest", "analyzer", "exporter", "gateway"}
ARTIFACTS = "/var/lib/recto/artifacts"

RunCompose = Callable[..., subprocess.CompletedProcess[str]]


def long_running(model: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: s for name, s in model["services"].items() if s.get("restart") != "no"}


def built(model: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: s for name, s in model["services"].items() if "build" in s}


def seconds(duration: str) -> float:
    """A Go or Docker duration (`1m0s`, `15s`) in seconds."""
    units = {"h": 3600, "m": 60, "s": 1, "ms": 0.001}
    return sum(float(n) * units[u] for n, u in re.findall(r"([\d.]+)(ms|h|m|s)", duration))


def test_compose_accepts_the_file(run_compose: RunCompose) -> None:
    result = run_compose("config", "-q")

    assert result.returncode == 0, result.stderr


def test_compose_rejects_an_invalid_file(run_compose: RunCompose, tmp_path: Path) -> None:
    # The same binary must fail on a mistake, or the test above proves nothing.
    broken = tmp_path / "compose.yaml"
    broken.write_text((ROOT / "compose.yaml").read_text().replace("healthcheck:", "healthchek:"))

    result = run_compose("config", "-q", file=broken)

    assert result.returncode != 0
    assert "healthchek" in result.stderr


def test_every_part_of_the_system_is_a_service(compose_model: dict[str, Any]) -> None:
    assert set(compose_model["services"]) == {"nats", "postgres", "migrate", *RECTO_SERVICES}
    assert set(built(compose_model)) == {"migrate", *RECTO_SERVICES}


def test_every_long_running_service_has_a_healthcheck(compose_model: dict[str, Any]) -> None:
    services = long_running(compose_model)

    assert set(services) == {"nats", "postgres", *RECTO_SERVICES}
    for name, service in services.items():
        check = service.get("healthcheck", {})
        assert check.get("test", ["NONE"])[0] in {"CMD", "CMD-SHELL"}, name
        assert not check.get("disable", False), name


def test_every_build_target_is_a_stage_of_the_dockerfile(
    compose_model: dict[str, Any], dockerfile: Any
) -> None:
    for name, service in built(compose_model).items():
        assert service["build"]["dockerfile"] == "infra/docker/Dockerfile", name
        assert service["build"]["target"] in dockerfile.stages, name


def test_recto_containers_run_as_a_non_root_user(
    compose_model: dict[str, Any], dockerfile: Any
) -> None:
    for name, service in built(compose_model).items():
        user = service.get("user") or dockerfile.last(service["build"]["target"], "USER")
        assert user, f"{name} runs as the base image's user, root"
        assert user.split(":")[0] not in {"root", "0"}, name


def test_image_healthchecks_agree_with_compose(
    compose_model: dict[str, Any], dockerfile: Any
) -> None:
    for name in RECTO_SERVICES:
        service = compose_model["services"][name]
        instruction = dockerfile.last(service["build"]["target"], "HEALTHCHECK")
        assert instruction is not None, f"the {name} image has no HEALTHCHECK"
        options, command = instruction.split(" CMD ", 1)
        flags = dict(flag.removeprefix("--").split("=") for flag in options.split())
        check = service["healthcheck"]

        assert check["test"] == ["CMD", *json.loads(command)], name
        for option in ("interval", "timeout", "start_period"):
            assert seconds(check[option]) == seconds(flags[option.replace("_", "-")]), name
        assert check["retries"] == int(flags["retries"]), name


def test_migrate_runs_once_before_every_service(compose_model: dict[str, Any]) -> None:
    services = compose_model["services"]

    assert services["migrate"]["restart"] == "no"
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in RECTO_SERVICES:
        depends_on = services[name]["depends_on"]
        assert depends_on["migrate"]["condition"] == "service_completed_successfully", name
        assert depends_on["postgres"]["condition"] == "service_healthy", name
        assert depends_on["nats"]["condition"] == "service_healthy", name


def test_servers_keep_their_data_on_named_volumes(compose_model: dict[str, Any]) -> None:
    services = compose_model["services"]
    mounts = {
        name: {(v["type"], v["target"]) for v in services[name].get("volumes", [])}
        for name in ("nats", "postgres")
    }

    assert ("volume", "/data") in mounts["nats"]
    assert "--store_dir" in services["nats"]["command"]
    assert "/data" in services["nats"]["command"]
    assert "--jetstream" in services["nats"]["command"]
    assert ("volume", "/var/lib/postgresql") in mounts["postgres"]
    assert {"nats-data", "postgres-data"} <= set(compose_model["volumes"])


def test_artifacts_are_one_volume_shared_where_they_are_read(compose_model: dict[str, Any]) -> None:
    for name in SHARING_ARTIFACTS:
        service = compose_model["services"][name]
        mounts = {(v["source"], v["target"]) for v in service["volumes"] if v["type"] == "volume"}
        assert ("artifacts", ARTIFACTS) in mounts, name
        assert service["environment"]["RECTO_ARTIFACTS"] == ARTIFACTS, name


def test_the_analyzer_runs_replicas_of_one_thread(
    compose_model: dict[str, Any], run_compose: RunCompose
) -> None:
    analyzer = compose_model["services"]["analyzer"]

    assert analyzer["deploy"]["replicas"] >= 2
    assert analyzer["environment"]["OMP_THREAD_LIMIT"] == "1"
    scaled = run_compose("config", "--format", "json", env={"RECTO_ANALYZER_REPLICAS": "5"})
    assert json.loads(scaled.stdout)["services"]["analyzer"]["deploy"]["replicas"] == 5


def test_services_are_configured_from_the_environment(run_compose: RunCompose) -> None:
    result = run_compose("config", "--format", "json", env={"RECTO_POSTGRES_PASSWORD": "s3cret"})
    services = json.loads(result.stdout)["services"]

    assert services["postgres"]["environment"]["POSTGRES_PASSWORD"] == "s3cret"
    for name in {"migrate", *RECTO_SERVICES}:
        environment = services[name]["environment"]
        assert environment["RECTO_DATABASE_URL"] == (
            "postgresql+asyncpg://recto:s3cret@postgres:5432/recto"
        ), name
        assert environment["RECTO_NATS_URL"] == "nats://nats:4222", name
        assert environment["RECTO_STATE_DIR"], name
    assert services["ingest"]["environment"]["RECTO_FETCH_ALLOW"] == ""
    gateway = services["gateway"]["environment"]
    assert gateway["RECTO_FETCH_ALLOW"] == ""
    assert (gateway["RECTO_GATEWAY_HOST"], gateway["RECTO_GATEWAY_PORT"]) == ("0.0.0.0", "8000")
    assert gateway["RECTO_AUTH"] == "on"


def test_the_dockerfile_installs_every_workspace_member(dockerfile: Any) -> None:
    workspace = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["uv"]["workspace"]
    members = sorted(
        path.parent.relative_to(ROOT).as_posix()
        for pattern in workspace["members"]
        for path in ROOT.glob(f"{pattern}/pyproject.toml")
    )
    copied = dockerfile.copied_sources()

    assert len(members) >= 6
    for member in members:
        assert f"{member}/pyproject.toml" in copied, member
        assert f"{member}/src" in copied, member
    for source in copied:
        assert (ROOT / source).exists(), source


def test_the_analyzer_image_has_the_language_data_of_every_profile(dockerfile: Any) -> None:
    profiles = (ROOT / "services/analyzer/src/analyzer/profiles").glob("*.toml")
    languages = {lang for p in profiles for lang in tomllib.loads(p.read_text())["languages"]}
    installed = " ".join(dockerfile.stages["analyzer"].arguments("RUN")).split()

    assert languages, "no analyzer profile names a language"
    for language in languages:
        assert f"tesseract-ocr-{language}" in installed, language


LOCAL_STATE = (
    ".git/HEAD",
    ".venv/bin/python",
    ".state/artifacts/ab/cd",
    ".tools/bin/uv",
    "infra/src/infra/__pycache__/service.cpython-311.pyc",
    "services/ingest/tests/unit/test_iiif.py",
    ".hypothesis/examples/x",
    "bench/results/b1.json",
    "test-artifacts/run.log",
)


def test_the_build_context_keeps_sources_and_leaves_out_local_state(
    dockerfile: Any, dockerignored: Callable[[str], bool]
) -> None:
    for source in dockerfile.copied_sources():
        inside = f"{source}/package/module.py" if (ROOT / source).is_dir() else source
        assert not dockerignored(inside), source
    for path in LOCAL_STATE:
        assert dockerignored(path), path
