"""deploy/k8s, checked without a cluster: `kubectl kustomize` renders every overlay, each object
validates offline against the Kubernetes schemas (kubernetes-validate) or, for KEDA's
ScaledObjects, against the vendored subset of KEDA's schema; then the tests read what the
objects promise: probes on the real endpoints, measured resources, one budget per workload, the
relay single-active, NATS as three routed nodes, scaling on each consumer's lag."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
KEDA_SCHEMA = K8S / "schemas" / "keda.sh-scaledobject-v1alpha1.subset.json"
KUBERNETES_VERSION = "1.33.0"
OVERLAYS = ["production", "pgbouncer"]
SERVICES = ["relay", "ingest", "analyzer", "exporter", "gateway"]
WORKERS = ["relay", "ingest", "analyzer", "exporter"]

Render = Callable[[Path], list[dict[str, Any]]]


@pytest.fixture(scope="session")
def render() -> Render:
    kubectl = os.environ.get("RECTO_KUBECTL") or shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is missing: `make system` installs Debian's kubernetes-client")

    def rendered(folder: Path) -> list[dict[str, Any]]:
        result = subprocess.run(
            [kubectl, "kustomize", str(folder)],
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        return [doc for doc in yaml.safe_load_all(result.stdout) if doc]

    return rendered


@pytest.fixture(scope="session")
def production(render: Render) -> list[dict[str, Any]]:
    return render(K8S / "overlays" / "production")


def validate(document: dict[str, Any]) -> None:
    """Raise on an invalid object: KEDA's against the vendored subset, the rest offline."""
    if document["apiVersion"].startswith("keda.sh/"):
        jsonschema.validate(document, json.loads(KEDA_SCHEMA.read_text()))
    else:
        kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)


def find(documents: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    (found,) = [d for d in documents if d["kind"] == kind and d["metadata"]["name"] == name]
    return found


def container(documents: list[dict[str, Any]], name: str) -> dict[str, Any]:
    (only,) = find(documents, "Deployment", name)["spec"]["template"]["spec"]["containers"]
    return only


def megabytes(quantity: str) -> float:
    number, unit = re.fullmatch(r"(\d+)(Mi|Gi)", quantity).groups()  # type: ignore[union-attr]
    return int(number) * (1024 if unit == "Gi" else 1)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_overlay_renders_and_validates_offline(render: Render, overlay: str) -> None:
    documents = render(K8S / "overlays" / overlay)

    for document in documents:
        validate(document)
    kinds = {d["kind"] for d in documents}
    assert {"Deployment", "StatefulSet", "Job", "ScaledObject", "NetworkPolicy"} <= kinds


def test_validation_rejects_a_broken_object(production: list[dict[str, Any]]) -> None:
    # The validators must fail on mistakes, or the test above proves nothing.
    deployment = json.loads(json.dumps(find(production, "Deployment", "analyzer")))
    deployment["spec"]["replicas"] = "two"
    with pytest.raises(jsonschema.ValidationError):
        validate(deployment)
    scaled = json.loads(json.dumps(find(production, "ScaledObject", "analyzer")))
    scaled["spec"]["triggers"][0]["metadata"]["lagThreshold"] = 10
    with pytest.raises(jsonschema.ValidationError):
        validate(scaled)
    scaled["spec"]["triggers"][0]["metadata"]["lagThreshold"] = "10"
    scaled["spec"]["minReplicas"] = 0
    with pytest.raises(jsonschema.ValidationError):
        validate(scaled)


def test_one_deployment_per_service_configured_from_the_configmap_and_secret(
    production: list[dict[str, Any]],
) -> None:
    deployments = {d["metadata"]["name"] for d in production if d["kind"] == "Deployment"}
    assert deployments == set(SERVICES)
    for name in SERVICES:
        sources = container(production, name)["envFrom"]
        assert {"configMapRef": {"name": "recto-config"}} in sources
        assert {"secretRef": {"name": "recto-secrets"}} in sources
        assert container(production, name)["args"] == ["serve", name]


def test_probes_use_the_real_endpoints(production: list[dict[str, Any]]) -> None:
    gateway = container(production, "gateway")
    assert gateway["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert gateway["livenessProbe"]["httpGet"]["path"] == "/healthz"
    for name in WORKERS:
        probes = container(production, name)
        for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
            assert probes[probe]["exec"]["command"] == ["recto", "healthcheck", name]


def test_resources_follow_the_measured_memory(production: list[dict[str, Any]]) -> None:
    # Idle RSS measured by bench/service_memory.py (docs/scaling.md): requests cover it, limits
    # leave room for the peak under load.
    for name in SERVICES:
        resources = container(production, name)["resources"]
        request = megabytes(resources["requests"]["memory"])
        limit = megabytes(resources["limits"]["memory"])
        assert 128 <= request < limit, name
        assert "cpu" in resources["requests"]
    assert container(production, "analyzer")["resources"]["requests"]["cpu"] == "1000m"


def test_every_workload_has_a_disruption_budget(production: list[dict[str, Any]]) -> None:
    budgets = {
        d["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"]: d["spec"]
        for d in production
        if d["kind"] == "PodDisruptionBudget"
    }
    assert set(budgets) == {*SERVICES, "nats"}
    assert budgets["nats"]["maxUnavailable"] == 1


def test_the_relay_is_single_active_with_a_standby(production: list[dict[str, Any]]) -> None:
    relay = find(production, "Deployment", "relay")
    # The advisory lock admits one; the second waits for it. Nothing autoscales the relay.
    assert relay["spec"]["replicas"] == 2
    scaled = {
        d["spec"]["scaleTargetRef"]["name"]
        for d in production
        if "scaleTargetRef" in d.get("spec", {})
    }
    assert "relay" not in scaled


def test_nats_is_three_routed_nodes_and_every_client_names_them(
    production: list[dict[str, Any]],
) -> None:
    nats = find(production, "StatefulSet", "nats")
    assert nats["spec"]["replicas"] == 3
    conf = find(production, "ConfigMap", "nats-config")["data"]["nats.conf"]
    routes = re.findall(r"nats://(nats-\d)\.nats:6222", conf)
    assert sorted(routes) == ["nats-0", "nats-1", "nats-2"]
    assert "jetstream" in conf
    config = find(production, "ConfigMap", "recto-config")["data"]
    servers = config["RECTO_NATS_URL"].split(",")
    assert [s.split("//")[1].split(".")[0] for s in servers] == ["nats-0", "nats-1", "nats-2"]
    assert config["RECTO_NATS_REPLICAS"] == "3"


def test_migrations_run_once_as_a_job_then_streams_are_provisioned(
    production: list[dict[str, Any]],
) -> None:
    job = find(production, "Job", "recto-migrate")["spec"]["template"]["spec"]
    assert [c["args"] for c in job["initContainers"]] == [["migrate"]]
    assert [c["args"] for c in job["containers"]] == [["provision"]]


def declared_consumers() -> set[str]:
    """Durable consumer names, as each service's subscriptions declare them."""
    found: set[str] = set()
    for module in ROOT.glob("services/*/src/*/entrypoints/subscriptions.py"):
        found |= set(re.findall(r"Subscription\(\s*\"([a-z-]+)\"", module.read_text()))
    return found


def test_consumers_scale_on_their_own_lag(production: list[dict[str, Any]]) -> None:
    scaled = {d["metadata"]["name"]: d["spec"] for d in production if d["kind"] == "ScaledObject"}
    assert set(scaled) == {"analyzer", "exporter", "ingest"}
    watched = set()
    for name, spec in scaled.items():
        assert spec["scaleTargetRef"]["name"] == name
        for trigger in spec["triggers"]:
            assert trigger["type"] == "nats-jetstream"
            assert trigger["metadata"]["stream"] == "RECTO_EVENTS"
            assert trigger["metadata"]["consumer"].startswith(name)
            watched.add(trigger["metadata"]["consumer"])
    assert watched == declared_consumers()
    # Only the analyzer goes to zero: ingest and exporter run timed loops besides consumers.
    assert scaled["analyzer"]["minReplicaCount"] == 0
    assert scaled["exporter"]["minReplicaCount"] >= 1
    assert scaled["ingest"]["minReplicaCount"] >= 1


def test_network_policies_deny_by_default_and_open_only_what_is_needed(
    production: list[dict[str, Any]],
) -> None:
    policies = {
        d["metadata"]["name"]: d["spec"] for d in production if d["kind"] == "NetworkPolicy"
    }
    assert policies["default-deny"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    ingress = [p for p in policies.values() if "ingress" in p and not scrapes_only(p)]
    # Only the gateway (from the ingress controller) and NATS (from Recto) accept connections,
    # besides Prometheus's scrapes.
    assert sorted(p["podSelector"]["matchLabels"]["app.kubernetes.io/name"] for p in ingress) == [
        "gateway",
        "nats",
    ]
    ports = {
        port["port"] for rule in policies["recto-services"]["egress"] for port in rule["ports"]
    }
    assert {4222, 5432, 443} <= ports
    ingest = policies["ingest-fetches-public-sources"]["egress"][0]["to"][0]["ipBlock"]
    assert "169.254.0.0/16" in ingest["except"]


def scrapes_only(policy: dict[str, Any]) -> bool:
    """A policy that lets only the monitoring namespace in."""
    sources = [source for rule in policy["ingress"] for source in rule["from"]]
    return all(
        source.get("namespaceSelector", {}).get("matchLabels")
        == {"kubernetes.io/metadata.name": "monitoring"}
        for source in sources
    )


def test_every_service_is_scraped_on_its_metrics_port_and_only_there(
    production: list[dict[str, Any]],
) -> None:
    config = find(production, "ConfigMap", "recto-config")["data"]
    assert config["RECTO_METRICS_HOST"] == "0.0.0.0"
    served = {name: int(config["RECTO_METRICS_PORT"]) for name in WORKERS}
    served["gateway"] = 8000
    for name, port in served.items():
        template = find(production, "Deployment", name)["spec"]["template"]
        annotations = template["metadata"]["annotations"]
        assert annotations["prometheus.io/scrape"] == "true"
        assert annotations["prometheus.io/path"] == "/metrics"
        assert int(annotations["prometheus.io/port"]) == port
        declared = {p["containerPort"] for p in container(production, name)["ports"]}
        assert port in declared, name
    # The network policies let the monitoring namespace reach exactly those ports.
    opened: dict[str, set[int]] = {}
    for policy in production:
        if policy["kind"] != "NetworkPolicy" or "ingress" not in policy["spec"]:
            continue
        if not scrapes_only(policy["spec"]):
            continue
        selector = policy["spec"]["podSelector"]
        names = selector.get("matchLabels", {}).get("app.kubernetes.io/name")
        targets = [names] if names else selector["matchExpressions"][0]["values"]
        ports = {p["port"] for rule in policy["spec"]["ingress"] for p in rule["ports"]}
        for target in targets:
            opened.setdefault(target, set()).update(ports)
    assert opened == {name: {port} for name, port in served.items()}


def test_pgbouncer_carries_queries_and_sessions_go_straight_to_postgresql(
    render: Render,
) -> None:
    documents = render(K8S / "overlays" / "pgbouncer")
    secrets = find(documents, "Secret", "recto-secrets")["stringData"]
    config = find(documents, "ConfigMap", "recto-config")["data"]
    assert ":6432/" in secrets["RECTO_DATABASE_URL"]  # the pooler
    # LISTEN, the session advisory locks and migrations: never through the pooler.
    assert ":5432/" in secrets["RECTO_DATABASE_DIRECT_URL"]
    assert config["RECTO_DATABASE_STATEMENT_CACHE_SIZE"] == "0"
    for name in SERVICES:
        sources = container(documents, name)["envFrom"]
        assert {"secretRef": {"name": "recto-secrets"}} in sources
        overridden = {v["name"] for v in container(documents, name).get("env", [])}
        assert not overridden & {"RECTO_DATABASE_URL", "RECTO_DATABASE_DIRECT_URL"}
