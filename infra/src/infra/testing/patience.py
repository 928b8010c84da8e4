"""How long tests wait, on a machine that may be busy.

Tests wait on conditions, never on the clock alone; a limit only ends a wait that would never
succeed, and every limit is multiplied by `RECTO_TEST_PATIENCE` (default 1): on a loaded
machine (e.g. a CPU-bound process per core) `RECTO_TEST_PATIENCE=4` gives every wait, and
every test's pytest-timeout, four times as long.
"""

from __future__ import annotations

import os


def patience_factor() -> float:
    factor = float(os.environ.get("RECTO_TEST_PATIENCE", "1"))
    if factor <= 0:
        raise ValueError(f"RECTO_TEST_PATIENCE must be positive, not {factor}")
    return factor


def patient(seconds: float) -> float:
    """`seconds` lengthened by `RECTO_TEST_PATIENCE`."""
    return seconds * patience_factor()
