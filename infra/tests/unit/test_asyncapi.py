"""The AsyncAPI document describes every event subject and every published schema version."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from contracts.registry import event_types
from contracts.schemas import SCHEMA_DIR
from infra.asyncapi import asyncapi_document, missing_from, stored_versions

ROOT = Path(__file__).resolve().parents[3]
WRITTEN = [ROOT / "docs" / "asyncapi.yaml", ROOT / "services/gateway/src/gateway/asyncapi.json"]
COMPONENT_KEY = re.compile(r"^[a-zA-Z0-9.\-_]+$")


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return asyncapi_document()


def test_every_event_type_and_version_of_the_contracts_is_described(
    document: dict[str, Any],
) -> None:
    assert document["asyncapi"] == "3.0.0"
    assert missing_from(document) == []
    for event_type, model in event_types().items():
        # Every version up to the current one is published, so every one can be described.
        assert stored_versions(event_type) == list(range(1, model.schema_version + 1))


def test_a_missing_subject_or_version_is_reported(document: dict[str, Any]) -> None:
    without_subject = copy.deepcopy(document)
    del without_subject["channels"]["page.analyzed"]
    current = event_types()["page.analyzed"].schema_version
    assert missing_from(without_subject) == [f"page.analyzed v{n}" for n in range(1, current + 1)]

    without_version = copy.deepcopy(document)
    payload = without_version["components"]["schemas"]["page.registered.Message.Payload"]
    payload["oneOf"] = [o for o in payload["oneOf"] if not o["$ref"].endswith("V2")]
    assert missing_from(without_version) == ["page.registered v2"]


def test_each_version_carries_its_published_schema(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    channel = document["channels"]["page.registered"]
    assert channel["address"] == "recto.evt.page.registered"
    for version in range(1, event_types()["page.registered"].schema_version + 1):
        envelope = schemas[f"PageRegisteredV{version}"]
        assert envelope["properties"]["schema_version"]["const"] == version
        data = schemas[envelope["properties"]["data"]["$ref"].rsplit("/", 1)[1]]
        stored = json.loads((SCHEMA_DIR / f"page.registered.v{version}.json").read_text())
        assert data["properties"].keys() == stored["properties"].keys()
    assert "image_service_profile" in schemas["PageRegisteredV3Data"]["properties"]
    assert "image_service_profile" not in schemas["PageRegisteredV2Data"]["properties"]


def test_component_keys_are_what_asyncapi_3_allows(document: dict[str, Any]) -> None:
    for kind in ("messages", "schemas"):
        bad = [key for key in document["components"][kind] if not COMPONENT_KEY.match(key)]
        assert bad == []


@pytest.mark.parametrize("path", WRITTEN, ids=lambda path: path.name)
def test_the_written_documents_are_current(document: dict[str, Any], path: Path) -> None:
    written = yaml.safe_load(path.read_text())
    assert written == json.loads(json.dumps(document)), f"{path} is stale: run make schemas"
