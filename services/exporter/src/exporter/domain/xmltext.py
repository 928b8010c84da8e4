"""Text and identifiers made safe for XML 1.0, counting what had to go.

XML 1.0 forbids most C0 controls, lone surrogates and U+FFFE/U+FFFF; an engine can emit any of
them. They are dropped (never silently: the count travels with the document), everything else,
combining marks included, is kept exactly as the engine wrote it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_NOT_XML_10 = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# ASCII only: libxml2's schema validator applies XML 1.0's older, narrower name tables.
_NOT_NCNAME = re.compile(r"[^A-Za-z0-9_.\-]")
_NAME_START = re.compile(r"[A-Za-z_]")
_LANGUAGE = re.compile(r"[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*")


@dataclass
class TextCleaner:
    """Removes characters XML 1.0 cannot carry and remembers how many it removed."""

    dropped: int = 0

    def __call__(self, text: str) -> str:
        cleaned, count = _NOT_XML_10.subn("", text)
        self.dropped += count
        return cleaned


@dataclass
class IdAllocator:
    """Turns engine ids into unique `xsd:ID`s (NCNames), the same way every time."""

    prefix: str = "id_"
    _used: set[str] = field(default_factory=set)

    def __call__(self, raw: str) -> str:
        candidate = _NOT_NCNAME.sub("_", raw)
        if not _NAME_START.match(candidate):
            candidate = self.prefix + candidate
        unique, suffix = candidate, 1
        while unique in self._used:
            suffix += 1
            unique = f"{candidate}_{suffix}"
        self._used.add(unique)
        return unique


def xml_language(code: str | None) -> str | None:
    """An `xsd:language` value, or None when the engine's label is not one."""
    if code and _LANGUAGE.fullmatch(code):
        return code
    return None
