"""Validation against the official XSDs shipped in `schemas/`, offline.

ALTO and METS import XLink by its Library of Congress URL; a resolver answers that URL with the
local copy, and the parser refuses the network, so a missing file fails loudly instead of
fetching.
"""

from __future__ import annotations

import threading
from enum import StrEnum
from functools import cache
from importlib.resources import files
from pathlib import Path

from lxml import etree

from contracts.errors import InvalidDocument
from exporter.formats.xml_common import safe_parser

SCHEMAS = Path(str(files("exporter.formats") / "schemas"))
_LOCAL = {"http://www.loc.gov/standards/xlink/xlink.xsd": SCHEMAS / "xlink.xsd"}


class Schema(StrEnum):
    ALTO = "alto-4-3.xsd"
    PAGE = "pagecontent-2019-07-15.xsd"
    METS = "mets-1.12.1.xsd"


class _LocalSchemas(etree.Resolver):  # type: ignore[misc]  # lxml ships no stubs
    def resolve(self, system_url: str, public_id: str, context: object) -> object:
        local = _LOCAL.get(system_url)
        return self.resolve_filename(str(local), context) if local else None


@cache
def _schema(schema: Schema) -> tuple[etree.XMLSchema, threading.Lock]:
    parser = etree.XMLParser(no_network=True)
    parser.resolvers.add(_LocalSchemas())
    document = etree.parse(str(SCHEMAS / schema.value), parser)
    # One lxml schema object is not safe to validate with from two threads at once.
    return etree.XMLSchema(document), threading.Lock()


def validate(schema: Schema, content: bytes) -> None:
    """Raise `InvalidDocument` with the validator's first messages when `content` fails."""
    try:
        tree = etree.fromstring(content, safe_parser())
    except etree.XMLSyntaxError as error:
        raise InvalidDocument(f"{schema.name}: not well-formed XML: {error}") from error
    xsd, lock = _schema(schema)
    with lock:
        if xsd.validate(tree):
            return
        messages = [f"line {e.line}: {e.message}" for e in list(xsd.error_log)[:3]]
    raise InvalidDocument(f"{schema.name} document is invalid: " + "; ".join(messages))
