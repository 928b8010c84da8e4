"""`SearchProjection`: the lines of every page's exported analysis, indexed for full-text search.

A `page.exported` event names the analysis its exports were made from; that artifact's lines
replace the page's previous lines, so the index always holds what the latest export shows. The
lexicon of distinct words (for typo tolerance and autocomplete) counts the lines holding each
word and is kept exact as lines come and go, so a rebuild reproduces it row for row.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from uuid import UUID

import anyio
import asyncpg
from pydantic import ValidationError

from contracts import PageAnalysis, PageExported, PageRegistered, RecordedEvent
from gateway.domain.search_lines import IndexedLine, indexed_lines
from infra.artifacts import ArtifactNotFound, ArtifactStore

log = logging.getLogger(__name__)

SEARCH_TABLES = ("gw_search_pages", "gw_search_lines", "gw_search_terms")
_WORDS = "unnest(tsvector_to_array(to_tsvector('recto_simple', recto_search_text({}))))"

_REGISTER = """
INSERT INTO gw_search_pages (page_id, manuscript_id, corpus_id, canvas_id, canvas_width,
                             canvas_height)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (page_id) DO UPDATE SET manuscript_id = excluded.manuscript_id,
    corpus_id = excluded.corpus_id, canvas_id = excluded.canvas_id,
    canvas_width = excluded.canvas_width, canvas_height = excluded.canvas_height
"""
_FORGET_WORDS = f"""
WITH gone AS (DELETE FROM gw_search_lines WHERE page_id = $1 RETURNING text),
     counted AS (SELECT word, count(*) AS n FROM gone, {_WORDS.format("gone.text")} AS word
                 GROUP BY word)
UPDATE gw_search_terms t SET lines = t.lines - counted.n FROM counted
WHERE t.term = counted.word AND t.lines > counted.n
"""
# A word whose last line went is deleted rather than counted down to zero (the CHECK says so):
# the same statement cannot update and delete one row, so the words to drop are found first.
_DROP_WORDS = f"""
DELETE FROM gw_search_terms t USING (
    SELECT word, count(*) AS n FROM gw_search_lines l, {_WORDS.format("l.text")} AS word
    WHERE l.page_id = $1 GROUP BY word) counted
WHERE t.term = counted.word AND t.lines <= counted.n
"""
_INSERT_LINES = """
INSERT INTO gw_search_lines (page_id, line_no, manuscript_id, corpus_id, line_id, region_id,
    text, language, config, x, y, w, h, image_width, image_height, canvas_width, canvas_height,
    recorded_at, tsv)
SELECT $1, l.line_no, $2, $3, l.line_id, l.region_id, l.text, l.language, l.config,
       l.x, l.y, l.w, l.h, $4, $5, $6, $7, $8,
       to_tsvector(('recto_' || l.config)::regconfig, recto_search_text(l.text))
FROM unnest($9::int[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[],
            $15::int[], $16::int[], $17::int[], $18::int[])
     AS l(line_no, line_id, region_id, text, language, config, x, y, w, h)
"""
_COUNT_WORDS = f"""
INSERT INTO gw_search_terms (term, lines)
SELECT word, count(*) FROM gw_search_lines l, {_WORDS.format("l.text")} AS word
WHERE l.page_id = $1 GROUP BY word
ON CONFLICT (term) DO UPDATE SET lines = gw_search_terms.lines + excluded.lines
"""
_EXPORTED = """
UPDATE gw_search_pages SET analysis_sha256 = $2, exported_at = $3, index_error = $4
WHERE page_id = $1
RETURNING manuscript_id, corpus_id, canvas_width, canvas_height
"""


class SearchProjection:
    name = "gateway-search"
    event_types: Sequence[str] = (PageRegistered.type, PageExported.type)

    def __init__(self, artifacts: ArtifactStore) -> None:
        self.artifacts = artifacts

    async def apply(self, connection: asyncpg.Connection, events: Sequence[RecordedEvent]) -> None:
        for event in events:
            if isinstance(event.data, PageRegistered):
                await self._register(connection, event.data)
            elif isinstance(event.data, PageExported):
                await self._index(connection, event, event.data)

    async def reset(self, connection: asyncpg.Connection) -> None:
        await connection.execute(f"TRUNCATE {', '.join(SEARCH_TABLES)}")

    async def _register(self, connection: asyncpg.Connection, data: PageRegistered) -> None:
        await connection.execute(
            _REGISTER,
            data.page_id,
            data.manuscript_id,
            data.corpus_id,
            data.canvas_id,
            data.canvas_width,
            data.canvas_height,
        )

    async def _index(
        self, connection: asyncpg.Connection, event: RecordedEvent, data: PageExported
    ) -> None:
        analysis, error = await self._analysis(data)
        page = await connection.fetchrow(
            _EXPORTED, data.page_id, data.analysis.sha256, event.occurred_at, error
        )
        if page is None:
            log.warning("page.exported for an unregistered page", extra={"page": data.page_id})
            return
        await self._forget(connection, data.page_id)
        if analysis is None:
            return
        lines = indexed_lines(analysis)
        if not lines:
            return
        image = (analysis.image.width, analysis.image.height)
        canvas = (page["canvas_width"], page["canvas_height"])
        canvas = canvas if all(canvas) else image
        await connection.execute(
            _INSERT_LINES,
            data.page_id,
            page["manuscript_id"],
            page["corpus_id"],
            *image,
            *canvas,
            event.occurred_at,
            *_columns(lines),
        )
        await connection.execute(_COUNT_WORDS, data.page_id)

    async def _forget(self, connection: asyncpg.Connection, page_id: UUID) -> None:
        await connection.execute(_DROP_WORDS, page_id)
        await connection.execute(_FORGET_WORDS, page_id)

    async def _analysis(self, data: PageExported) -> tuple[PageAnalysis | None, str | None]:
        """The analysis, or why it cannot be indexed: recorded on the page, never raised, so
        one unreadable artifact cannot stop the index."""
        try:
            raw = await anyio.to_thread.run_sync(self.artifacts.get, data.analysis)
            return PageAnalysis.model_validate_json(raw), None
        except ArtifactNotFound:
            reason = f"analysis artifact {data.analysis.sha256} is missing"
        except ValidationError as error:
            reason = f"analysis artifact is not a PageAnalysis: {error.error_count()} errors"
        log.warning("page not indexed: %s", reason, extra={"page": str(data.page_id)})
        return None, reason


def _columns(lines: list[IndexedLine]) -> tuple[list[object], ...]:
    return (
        [line.line_no for line in lines],
        [line.line_id for line in lines],
        [line.region_id for line in lines],
        [line.text for line in lines],
        [line.language for line in lines],
        [line.config for line in lines],
        [line.box.x for line in lines],
        [line.box.y for line in lines],
        [line.box.width for line in lines],
        [line.box.height for line in lines],
    )
