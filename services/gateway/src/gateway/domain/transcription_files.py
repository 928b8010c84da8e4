"""Which transcription format an uploaded file is: PAGE or ALTO, and well-formed XML.

The gateway only checks (with the standard library's expat, DOCTYPEs refused so no entity
can expand); the exporter, which owns the readers, turns the file into a `PageAnalysis`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from xml.parsers import expat

PAGE_PREFIX = "http://schema.primaresearch.org/PAGE/gts/pagecontent/"
ALTO_NAMESPACES = {f"http://www.loc.gov/standards/alto/ns-v{v}#" for v in (2, 3, 4)}
TranscriptionFormat = Literal["page", "alto"]
MEDIA_TYPES: dict[TranscriptionFormat, str] = {
    "page": "application/vnd.prima.page+xml",
    "alto": "application/alto+xml",
}


class NotWellFormed(ValueError):
    """The bytes are not XML a reader may safely parse (422)."""


class NotATranscription(ValueError):
    """Well-formed XML of another kind (415)."""


class _Refused(Exception):
    pass


@dataclass(frozen=True)
class TranscriptionHead:
    format: TranscriptionFormat
    image_name: str | None
    """The image the file describes: PAGE's `imageFilename`, ALTO's `fileName`."""


def sniff_transcription(data: bytes) -> TranscriptionFormat:
    return read_head(data).format


def read_head(data: bytes) -> TranscriptionHead:
    parser = expat.ParserCreate(namespace_separator=" ")
    roots: list[str] = []
    open_elements: list[str] = []
    image: list[str] = []

    def start(name: str, attributes: dict[str, str]) -> None:
        if not roots:
            roots.append(name)
        local = name.rpartition(" ")[2]
        open_elements.append(local)
        if local == "Page" and "imageFilename" in attributes and not image:
            image.append(attributes["imageFilename"])

    def end(name: str) -> None:
        open_elements.pop()

    def text(data: str) -> None:
        if open_elements[-2:] == ["sourceImageInformation", "fileName"]:
            image.append(data)

    def refuse(*_: object) -> None:
        raise _Refused("DOCTYPE and entity declarations are not accepted")

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    try:
        parser.Parse(data, True)
    except expat.ExpatError as error:
        raise NotWellFormed(f"the file is not well-formed XML: {error}") from None
    except _Refused as refused:
        raise NotWellFormed(str(refused)) from None
    namespace, _, name = roots[0].rpartition(" ")
    image_name = "".join(image).strip() or None
    if name == "PcGts" and namespace.startswith(PAGE_PREFIX):
        return TranscriptionHead("page", image_name)
    if name == "alto" and namespace in ALTO_NAMESPACES:
        return TranscriptionHead("alto", image_name)
    raise NotATranscription(
        f"the root element is {name!r} in namespace {namespace or '(none)'!r}: neither PAGE "
        "(PcGts) nor ALTO v2–v4 (alto)"
    )
