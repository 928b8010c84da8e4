"""Region types: Recto's own `RegionType`, SegmOnto's zone names, and how they map.

SegmOnto (https://segmonto.github.io) is the controlled vocabulary eScriptorium and many
ground-truth sets use, and the one editors name regions with. `RegionType` is coarser and
drives how exporters write a region (text block, illustration, table). A region keeps the
zone it was given, so nothing is lost in the mapping, and its `type` follows the zone.
"""

from __future__ import annotations

from enum import StrEnum


class RegionType(StrEnum):
    TEXT = "text"
    HEADING = "heading"
    MARGINALIA = "marginalia"
    CAPTION = "caption"
    PAGE_NUMBER = "page-number"
    TABLE = "table"
    ILLUSTRATION = "illustration"
    DECORATION = "decoration"
    GRAPHIC = "graphic"
    OTHER = "other"

    @property
    def is_text(self) -> bool:
        return self in _TEXT_REGIONS


_TEXT_REGIONS = {
    RegionType.TEXT,
    RegionType.HEADING,
    RegionType.MARGINALIA,
    RegionType.CAPTION,
    RegionType.PAGE_NUMBER,
}


class SegmOntoZone(StrEnum):
    MAIN = "MainZone"
    MARGIN_TEXT = "MarginTextZone"
    NUMBERING = "NumberingZone"
    RUNNING_TITLE = "RunningTitleZone"
    QUIRE_MARKS = "QuireMarksZone"
    DROP_CAPITAL = "DropCapitalZone"
    GRAPHIC = "GraphicZone"
    DIGITIZATION_ARTEFACT = "DigitizationArtefactZone"
    DAMAGE = "DamageZone"
    MUSIC = "MusicZone"
    SEAL = "SealZone"
    STAMP = "StampZone"
    TABLE = "TableZone"
    TITLE_PAGE = "TitlePageZone"
    CUSTOM = "CustomZone"


REGION_TYPE_OF_ZONE: dict[SegmOntoZone, RegionType] = {
    SegmOntoZone.MAIN: RegionType.TEXT,
    SegmOntoZone.MARGIN_TEXT: RegionType.MARGINALIA,
    SegmOntoZone.NUMBERING: RegionType.PAGE_NUMBER,
    SegmOntoZone.RUNNING_TITLE: RegionType.HEADING,
    SegmOntoZone.TITLE_PAGE: RegionType.HEADING,
    # Catchwords and quire signatures are written text, in the margin.
    SegmOntoZone.QUIRE_MARKS: RegionType.MARGINALIA,
    SegmOntoZone.DROP_CAPITAL: RegionType.DECORATION,
    SegmOntoZone.GRAPHIC: RegionType.ILLUSTRATION,
    SegmOntoZone.TABLE: RegionType.TABLE,
    SegmOntoZone.DIGITIZATION_ARTEFACT: RegionType.OTHER,
    SegmOntoZone.DAMAGE: RegionType.OTHER,
    SegmOntoZone.MUSIC: RegionType.OTHER,
    SegmOntoZone.SEAL: RegionType.OTHER,
    SegmOntoZone.STAMP: RegionType.OTHER,
    SegmOntoZone.CUSTOM: RegionType.OTHER,
}

ZONE_OF_REGION_TYPE: dict[RegionType, SegmOntoZone] = {
    RegionType.TEXT: SegmOntoZone.MAIN,
    RegionType.HEADING: SegmOntoZone.RUNNING_TITLE,
    RegionType.MARGINALIA: SegmOntoZone.MARGIN_TEXT,
    RegionType.CAPTION: SegmOntoZone.MAIN,
    RegionType.PAGE_NUMBER: SegmOntoZone.NUMBERING,
    RegionType.TABLE: SegmOntoZone.TABLE,
    RegionType.ILLUSTRATION: SegmOntoZone.GRAPHIC,
    RegionType.DECORATION: SegmOntoZone.GRAPHIC,
    RegionType.GRAPHIC: SegmOntoZone.GRAPHIC,
    RegionType.OTHER: SegmOntoZone.CUSTOM,
}
"""The closest zone for a region that was never given one (a machine result's)."""


def zone_named(name: str) -> SegmOntoZone | None:
    """The zone a file names, e.g. `MainZone` or SegmOnto's `MainZone:column#1`; else None."""
    base = name.split(":", 1)[0].split("#", 1)[0].strip()
    return SegmOntoZone._value2member_map_.get(base)  # type: ignore[return-value]
