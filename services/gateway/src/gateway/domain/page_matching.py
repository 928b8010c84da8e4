"""Which file of a whole manuscript's export is which page (pure).

Transkribus and eScriptorium exports name each file after its image, and the file names the
image it describes. A file goes to the page whose image or label it names; files left over
go by order when exactly as many pages are left. A name several pages share (IIIF image URLs
all end in `default.jpg`) identifies none of them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Literal
from uuid import UUID

MatchedBy = Literal["image name", "file name", "order"]
_EXTENSION = re.compile(r"\.[A-Za-z][A-Za-z0-9]{0,4}$")


@dataclass(frozen=True)
class PageNames:
    page_id: UUID
    index: int
    names: tuple[str, ...]
    """Its image URL or upload, its label, its canvas id: whatever a file may be named after."""


@dataclass(frozen=True)
class FileNames:
    path: str
    image_name: str | None


@dataclass(frozen=True)
class Match:
    path: str
    page_id: UUID
    matched_by: MatchedBy


def stem(name: str) -> str:
    """`scans/Folio 12r.JPG?x=1` -> `folio 12r`: the part two tools agree on."""
    base = PurePosixPath(name.split("?", 1)[0].replace("\\", "/")).name
    while _EXTENSION.search(base):
        base = _EXTENSION.sub("", base)
    return base.strip().lower()


def match_files(
    files: Sequence[FileNames], pages: Sequence[PageNames]
) -> tuple[list[Match], list[str]]:
    """The matches, and the files no page could be found for."""
    by_name = _unique_names(pages)
    matches: list[Match] = []
    taken: set[UUID] = set()
    left: list[FileNames] = []
    for file in sorted(files, key=lambda f: f.path):
        found = _find(file, by_name, taken)
        if found is None:
            left.append(file)
            continue
        matches.append(Match(file.path, found[0], found[1]))
        taken.add(found[0])
    free = sorted((p for p in pages if p.page_id not in taken), key=lambda p: p.index)
    if left and len(left) == len(free):
        matches += [Match(f.path, p.page_id, "order") for f, p in zip(left, free, strict=True)]
        left = []
    return matches, [f.path for f in left]


def _find(
    file: FileNames, by_name: dict[str, UUID], taken: set[UUID]
) -> tuple[UUID, MatchedBy] | None:
    candidates: Iterable[tuple[str | None, MatchedBy]] = (
        (file.image_name, "image name"),
        (file.path, "file name"),
    )
    for name, how in candidates:
        page_id = by_name.get(stem(name)) if name else None
        if page_id is not None and page_id not in taken:
            return page_id, how
    return None


def _unique_names(pages: Sequence[PageNames]) -> dict[str, UUID]:
    owners: dict[str, set[UUID]] = {}
    for page in pages:
        for name in page.names:
            if key := stem(name):
                owners.setdefault(key, set()).add(page.page_id)
    return {key: next(iter(ids)) for key, ids in owners.items() if len(ids) == 1}
