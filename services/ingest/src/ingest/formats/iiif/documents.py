"""Reading any IIIF Presentation document: detect its version and kind, or refuse it."""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from contracts.errors import ManifestNotIIIF
from ingest.domain.manifest import Collection, Manifest
from ingest.formats.iiif import presentation2, presentation3

V2_TYPES = {"sc:Manifest": "manifest", "sc:Collection": "collection"}
V3_TYPES = {"Manifest": "manifest", "Collection": "collection"}
MODELS: dict[tuple[int, str], Any] = {
    (2, "manifest"): presentation2.ManifestModel,
    (2, "collection"): presentation2.CollectionModel,
    (3, "manifest"): presentation3.ManifestModel,
    (3, "collection"): presentation3.CollectionModel,
}


def parse_document(raw: bytes | str | dict[str, Any]) -> Manifest | Collection:
    """A manifest or collection from JSON text or an already decoded object."""
    document = _decode(raw) if isinstance(raw, bytes | str) else raw
    if not isinstance(document, dict):
        raise ManifestNotIIIF(f"not a IIIF document: a JSON {type(document).__name__}")
    version, kind = _detect(document)
    model = MODELS[(version, kind)]
    try:
        parsed: Manifest | Collection = model.model_validate(document).to_domain()
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise ManifestNotIIIF(f"malformed IIIF {kind}: {where}: {first['msg']}") from None
    return parsed


def _decode(raw: bytes | str) -> Any:
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as error:
        raise ManifestNotIIIF(f"not JSON: {error}") from None


def _detect(document: dict[str, Any]) -> tuple[int, str]:
    v2_type = document.get("@type")
    v3_type = document.get("type")
    if isinstance(v2_type, str) and v2_type in V2_TYPES:
        return 2, V2_TYPES[v2_type]
    if isinstance(v3_type, str) and v3_type in V3_TYPES:
        return 3, V3_TYPES[v3_type]
    keys = ", ".join(sorted(document)[:8]) or "none"
    raise ManifestNotIIIF(
        "not a IIIF manifest or collection: no @type sc:Manifest/sc:Collection nor type "
        f"Manifest/Collection (keys: {keys})"
    )
