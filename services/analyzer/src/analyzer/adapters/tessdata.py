"""Where Tesseract's language data lives: `TESSDATA_PREFIX`, else Debian's folder."""

from __future__ import annotations

import os
from pathlib import Path

DEBIAN_TESSDATA = Path("/usr/share/tesseract-ocr/5/tessdata")


def tessdata_path() -> Path:
    """`TESSDATA_PREFIX` when set, else Debian's `tesseract-ocr-*` packages' folder."""
    configured = os.environ.get("TESSDATA_PREFIX")
    return Path(configured) if configured else DEBIAN_TESSDATA


def installed_languages(tessdata: Path | None = None) -> set[str]:
    folder = tessdata or tessdata_path()
    return {p.stem for p in folder.glob("*.traineddata")}
