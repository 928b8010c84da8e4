"""Where the shared real-world corpora live: `RECTO_CORPORA`, default `../shared/corpora`."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[4]


def corpora_root() -> Path | None:
    configured = os.environ.get("RECTO_CORPORA")
    root = Path(configured) if configured else PROJECT_ROOT.parent / "shared" / "corpora"
    return root if root.is_dir() else None
