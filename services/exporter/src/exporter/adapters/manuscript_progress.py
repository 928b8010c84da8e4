"""Project the event log into `exporter_manuscripts` and `exporter_pages`.

Per manuscript: how many pages to expect, how many are terminal, and whether its latest
`manuscript.exported` is up to date. Every page event that changes what the export would
contain records its event id as the manuscript's `last_change`; the exporter appends
`manuscript.exported` with that id as its causation, so the export is up to date exactly when
nothing changed after the page event it was built after (page events live in their own
streams, so the manuscript's stream version alone cannot tell).
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

import asyncpg

from contracts import (
    ManuscriptExported,
    ManuscriptImported,
    PageRegistered,
    RecordedEvent,
)
from exporter.domain.progress import OutcomeEvent, PageOutcome, page_outcome

MANUSCRIPTS, PAGES = "exporter_manuscripts", "exporter_pages"

_IMPORTED = f"""
INSERT INTO {MANUSCRIPTS} (manuscript_id, imported_pages) VALUES ($1, $2)
ON CONFLICT (manuscript_id) DO UPDATE SET imported_pages = EXCLUDED.imported_pages
"""
_REGISTER = f"""
INSERT INTO {PAGES} (page_id, manuscript_id, index) VALUES ($1, $2, $3)
ON CONFLICT (page_id) DO NOTHING
"""
_PAGE_ADDED = f"""
INSERT INTO {MANUSCRIPTS} (manuscript_id, registered_pages, last_change) VALUES ($1, 1, $2)
ON CONFLICT (manuscript_id) DO UPDATE
SET registered_pages = {MANUSCRIPTS}.registered_pages + 1, last_change = $2, up_to_date = false
"""
_PAGE = f"SELECT manuscript_id, outcome FROM {PAGES} WHERE page_id = $1"
_OUTCOME = f"UPDATE {PAGES} SET outcome = $2 WHERE page_id = $1"
_CHANGED = f"""
UPDATE {MANUSCRIPTS}
SET terminal_pages = terminal_pages + $2, last_change = $3, up_to_date = false
WHERE manuscript_id = $1
"""
_EXPORTED = f"""
UPDATE {MANUSCRIPTS}
SET exported = true, up_to_date = last_change IS NOT DISTINCT FROM $2
WHERE manuscript_id = $1
"""


class ManuscriptProgressProjection:
    name: str = "exporter-manuscript-progress"
    event_types: Sequence[str] = (
        "manuscript.imported",
        "page.registered",
        "page.exported",
        "page.export_failed",
        "page.ingest_failed",
        "page.analysis_failed",
        "manuscript.exported",
    )

    async def apply(self, connection: asyncpg.Connection, events: Sequence[RecordedEvent]) -> None:
        # One event at a time: a page often registers, fails and is exported in one batch.
        for recorded in events:
            event = recorded.data
            if isinstance(event, ManuscriptImported):
                await connection.execute(_IMPORTED, event.manuscript_id, event.page_count)
            elif isinstance(event, PageRegistered):
                await _register(connection, recorded.event_id, event)
            elif isinstance(event, ManuscriptExported):
                await connection.execute(_EXPORTED, event.manuscript_id, recorded.causation_id)
            elif isinstance(event, OutcomeEvent) and (outcome := page_outcome(event)):
                await _page_outcome(connection, recorded.event_id, event.page_id, outcome)

    async def reset(self, connection: asyncpg.Connection) -> None:
        await connection.execute(f"TRUNCATE {MANUSCRIPTS}, {PAGES}")


async def _register(connection: asyncpg.Connection, event_id: UUID, event: PageRegistered) -> None:
    inserted = await connection.execute(_REGISTER, event.page_id, event.manuscript_id, event.index)
    if inserted.endswith(" 1"):
        await connection.execute(_PAGE_ADDED, event.manuscript_id, event_id)


async def _page_outcome(
    connection: asyncpg.Connection, event_id: UUID, page_id: UUID, outcome: PageOutcome
) -> None:
    page = await connection.fetchrow(_PAGE, page_id)
    if page is None:
        return  # a page this exporter never saw registered belongs to no manuscript
    before = page["outcome"]
    # A re-export changes the files even when the outcome stays "exported".
    if before == outcome and outcome is not PageOutcome.EXPORTED:
        return
    await connection.execute(_OUTCOME, page_id, outcome.value)
    newly_terminal = 1 if before is None else 0
    await connection.execute(_CHANGED, page["manuscript_id"], newly_terminal, event_id)
