"""A fixed-window limit per API key: at most `requests` in each window of `seconds`.

The count lives in the database, shared by every gateway replica; this is only the rule.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class FixedWindow:
    requests: int
    seconds: int

    def wait(self, counted: int, seconds_left: float) -> int:
        """0 when the `counted`-th request of the window may pass, else whole seconds to wait
        (at least one) before the next window opens."""
        if counted <= self.requests:
            return 0
        return max(1, math.ceil(seconds_left))
