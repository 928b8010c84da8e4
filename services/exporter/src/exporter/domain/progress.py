"""When a page is done, and what a page's stream says about it, for the manuscript export.

A page is terminal once its latest outcome event says so: exported, or failed for good
(ingest, a final analysis failure, export). A later outcome replaces an earlier one, so a
page that is analyzed again and re-exported changes its manuscript's export.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from contracts import (
    Event,
    ImageRef,
    PageAnalysisFailed,
    PageExported,
    PageExportFailed,
    PageImageNormalized,
    PageIngestFailed,
    PageRegistered,
)

# The page events that can end a page's progress.
OutcomeEvent = PageExported | PageExportFailed | PageIngestFailed | PageAnalysisFailed


class PageOutcome(StrEnum):
    EXPORTED = "exported"
    FAILED = "failed"


def page_outcome(event: Event) -> PageOutcome | None:
    """The end state this event puts its page in; None when it says nothing about that."""
    if isinstance(event, PageExported):
        return PageOutcome.EXPORTED
    if isinstance(event, PageExportFailed | PageIngestFailed):
        return PageOutcome.FAILED
    if isinstance(event, PageAnalysisFailed) and event.final:
        return PageOutcome.FAILED
    return None


@dataclass
class PageHistory:
    """A page's stream folded into what the manuscript export needs."""

    registered: PageRegistered | None = None
    master: ImageRef | None = None
    thumbnail: ImageRef | None = None
    outcome: PageOutcome | None = None
    exported: PageExported | None = None

    @property
    def done(self) -> bool:
        return self.registered is not None and self.outcome is not None


def fold_page(events: Iterable[Event]) -> PageHistory:
    history = PageHistory()
    for event in events:
        if isinstance(event, PageRegistered) and history.registered is None:
            history.registered = event
        elif isinstance(event, PageImageNormalized):
            history.master, history.thumbnail = event.master, event.thumbnail
        if (outcome := page_outcome(event)) is not None:
            history.outcome = outcome
            history.exported = event if isinstance(event, PageExported) else None
    return history
