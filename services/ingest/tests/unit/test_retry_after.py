"""Reading `Retry-After`: seconds or an HTTP date; anything else means "use the backoff"."""

from __future__ import annotations

import email.utils
import time

from ingest.adapters.http_fetcher import retry_after


def test_seconds_and_dates_are_understood() -> None:
    assert retry_after("7") == 7.0
    later = email.utils.formatdate(time.time() + 30, usegmt=True)
    waited = retry_after(later)
    assert waited is not None
    assert 28 <= waited <= 31
    past = email.utils.formatdate(time.time() - 30, usegmt=True)
    assert retry_after(past) == 0.0


def test_missing_or_garbage_means_no_advice() -> None:
    assert retry_after(None) is None
    assert retry_after("") is None
    assert retry_after("soon") is None
