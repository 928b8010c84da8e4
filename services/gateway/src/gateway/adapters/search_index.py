"""Queries over the search projection: near words, ranked hits with snippets, autocomplete.

A line matches when its vector matches the query parsed by its own language's configuration
(each language branch uses the GIN index on its own); typo-tolerant queries add the lexicon's
near words as alternatives. The rank adds to `ts_rank` 1 for a line holding the words as
asked, or else the trigram `word_similarity` of query and line (below 1): an exact spelling
outranks a near one. Ranking reads at most `rank_window` matches (the first found): a word
on most pages is ranked within that window and its total reported as a lower bound.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg

from contracts import Box
from gateway.domain.search_hits import Hit, HitPage, SearchFilters
from gateway.domain.search_lines import CONFIGS
from gateway.domain.search_query import (
    START,
    STOP,
    Cursor,
    NearWords,
    SearchQuery,
    read_marks,
)

_NEAR_WORDS = """
WITH words AS (
    SELECT DISTINCT unnest(tsvector_to_array(
        to_tsvector('recto_simple', recto_search_text($1)))) AS word)
SELECT w.word, coalesce(array_agg(t.term) FILTER (WHERE t.term IS NOT NULL), '{}') AS near,
       coalesce((SELECT lines FROM gw_search_terms WHERE term = w.word), 0) AS lines,
       (SELECT greatest(c.reltuples, s.n_live_tup, 1) FROM pg_class c
        JOIN pg_stat_user_tables s ON s.relid = c.oid
        WHERE c.oid = 'gw_search_lines'::regclass) AS all_lines
FROM words w LEFT JOIN LATERAL (
    SELECT term FROM gw_search_terms WHERE term % w.word
    ORDER BY similarity(term, w.word) DESC, term LIMIT $2) t ON true
GROUP BY w.word
"""
_FOLD = "lower(unaccent(recto_search_text({})))"
_HEADLINE_OPTIONS = f"HighlightAll=true, StartSel={START}, StopSel={STOP}"
_AUTOCOMPLETE = """
SELECT word, count(*) AS lines
FROM gw_search_lines l,
     unnest(tsvector_to_array(to_tsvector('recto_simple', recto_search_text(l.text)))) AS word
WHERE l.manuscript_id = $1 AND ({match}) AND word LIKE $3 || '%'
GROUP BY word ORDER BY count(*) DESC, word LIMIT $4
"""


class PostgresSearchIndex:
    def __init__(
        self, pool: asyncpg.Pool, *, near_word_candidates: int = 20, rank_window: int = 500
    ) -> None:
        self.pool = pool
        self.near_word_candidates = near_word_candidates
        self.rank_window = rank_window

    async def near_words(self, text: str) -> NearWords:
        """Each folded word of the query with the lexicon's words most like it."""
        records = await self.pool.fetch(_NEAR_WORDS, text, self.near_word_candidates)
        share, lines = 1.0, 1.0
        for record in records:
            lines = float(record["all_lines"])
            share *= min(1.0, record["lines"] / lines)
        near = {r["word"]: list(r["near"]) for r in records}
        return NearWords(near, share if records else 0.0, lines)

    async def search(
        self,
        query: SearchQuery,
        fuzzy: str | None,
        filters: SearchFilters,
        *,
        limit: int,
        cursor: Cursor | None = None,
        offset: int = 0,
        dense: bool = False,
    ) -> HitPage:
        sql, args = _search_sql(
            query, fuzzy, filters, limit, cursor, offset, self.rank_window, dense
        )
        records = await self.pool.fetch(sql, *args)
        if records:
            total = int(records[0]["total"])
        elif cursor is not None or offset:
            total = await self._count(query, fuzzy, filters)
        else:
            total = 0
        return HitPage([_hit(r) for r in records], total, exact=total < self.rank_window)

    async def _count(self, query: SearchQuery, fuzzy: str | None, filters: SearchFilters) -> int:
        args: list[Any] = [query.text, *([fuzzy] if fuzzy else [])]
        where = _where(filters, args)
        args.append(self.rank_window)
        sql = (
            f"WITH q AS MATERIALIZED ({_queries(fuzzy is not None)}) SELECT count(*) FROM "
            f"(SELECT 1 FROM q, gw_search_lines l {where} LIMIT ${len(args)}) found"
        )
        return int(await self.pool.fetchval(sql, *args))

    async def autocomplete(
        self, manuscript_id: UUID, prefix: str, limit: int
    ) -> list[tuple[str, int]]:
        """Words of the manuscript starting with the folded prefix, the most frequent first."""
        folded = await self.pool.fetchval(f"SELECT {_FOLD.format('$1::text')}", prefix)
        if not folded or not folded.isalnum():
            return []
        prefix_query = "'" + folded.replace("'", "''") + "':*"
        match = " OR ".join(
            f"(l.config = '{c}' AND l.tsv @@ to_tsquery('recto_{c}', $2))" for c in CONFIGS
        )
        records = await self.pool.fetch(
            _AUTOCOMPLETE.format(match=match), manuscript_id, prefix_query, folded, limit
        )
        return [(r["word"], int(r["lines"])) for r in records]


def _where(filters: SearchFilters, args: list[Any], dense: bool = False) -> str:
    # One index condition (the union of the languages' queries) reads each posting list once;
    # the filter (a CASE, which no index serves) keeps a line if its own language's query
    # matches it.
    own = " ".join(f"WHEN '{c}' THEN l.tsv @@ q.{c}" for c in CONFIGS)
    clauses = ["l.tsv @@ q.any", f"CASE l.config {own} ELSE false END"]
    if dense:
        # The words are on a good share of all lines: a bitmap would read their whole posting
        # lists, when reading lines in order fills the ranking window after a few thousand.
        # `IS TRUE` is a condition no index serves (and a statement of its own to the planner).
        clauses[0] = "(l.tsv @@ q.any) IS TRUE"

    def arg(value: Any) -> str:
        args.append(value)
        return f"${len(args)}"

    if filters.visible is not None:
        clauses.append(f"l.corpus_id = ANY({arg(sorted(filters.visible))}::uuid[])")
    if filters.corpus_id is not None:
        clauses.append(f"l.corpus_id = {arg(filters.corpus_id)}")
    if filters.manuscript_id is not None:
        clauses.append(f"l.manuscript_id = {arg(filters.manuscript_id)}")
    if filters.status is not None:
        clauses.append(
            f"l.page_id IN (SELECT page_id FROM gw_pages WHERE status = {arg(filters.status)})"
        )
    if filters.recorded_from is not None:
        clauses.append(f"l.recorded_at >= {arg(filters.recorded_from)}")
    if filters.recorded_to is not None:
        clauses.append(f"l.recorded_at <= {arg(filters.recorded_to)}")
    return "WHERE " + " AND ".join(clauses)


def _queries(fuzzy: bool) -> str:
    """One row: each configuration's query (with its near words) and exact query, their union,
    and the folded query text; computed once, not once per line."""
    exact = {c: f"websearch_to_tsquery('recto_{c}', $1)" for c in CONFIGS}
    full = {
        c: f"({exact[c]} || to_tsquery('recto_{c}', $2))" if fuzzy else exact[c] for c in CONFIGS
    }
    columns = [f"{full[c]} AS {c}" for c in CONFIGS]
    columns += [f"{exact[c]} AS {c}_exact" for c in CONFIGS]
    columns.append(" || ".join(full.values()) + " AS any")
    columns.append(f"{_FOLD.format('$1')} AS folded")
    return "SELECT " + ", ".join(columns)


def _per_config(alias: str, suffix: str = "") -> str:
    whens = " ".join(f"WHEN '{c}' THEN q.{c}{suffix}" for c in CONFIGS)
    return f"CASE {alias}.config {whens} END"


def _search_sql(
    query: SearchQuery,
    fuzzy: str | None,
    filters: SearchFilters,
    limit: int,
    cursor: Cursor | None,
    offset: int,
    window: int,
    dense: bool = False,
) -> tuple[str, list[Any]]:
    has_fuzzy = fuzzy is not None
    args: list[Any] = [query.text, *([fuzzy] if has_fuzzy else [])]
    where = _where(filters, args, dense)
    after = ""
    if cursor is not None:
        args += [cursor.score, cursor.page_id, cursor.line_no]
        n = len(args)
        after = (
            f"WHERE score < ${n - 2}::real OR (score = ${n - 2}::real "
            f"AND (page_id, line_no) > (${n - 1}::uuid, ${n}::int))"
        )
    args += [window, limit, offset, _HEADLINE_OPTIONS]
    n = len(args)
    # Only lines matching no exact word (found through a near word) pay for word_similarity.
    sql = f"""
    WITH q AS MATERIALIZED ({_queries(has_fuzzy)}),
    candidates AS MATERIALIZED (
        SELECT l.page_id, l.line_no, l.line_id, l.region_id, l.manuscript_id, l.corpus_id,
               l.text, l.language, l.config, l.x, l.y, l.w, l.h, l.image_width,
               l.image_height, l.canvas_width, l.canvas_height, l.recorded_at, l.tsv,
               {_per_config("l")} AS query, {_per_config("l", "_exact")} AS exact
        FROM q, gw_search_lines l {where}
        LIMIT ${n - 3}
    ), ranked AS (
        SELECT c.*, (ts_rank(c.tsv, c.query) + CASE WHEN c.tsv @@ c.exact THEN 1.0
                     ELSE word_similarity(q.folded, {_FOLD.format("c.text")}) END)::real AS score,
               count(*) OVER () AS total
        FROM candidates c, q
    ), hits AS (
        SELECT * FROM ranked {after}
        ORDER BY score DESC, page_id, line_no LIMIT ${n - 2} OFFSET ${n - 1}
    )
    SELECT hits.*, p.canvas_id, gp.status,
           ts_headline(('recto_' || hits.config)::regconfig, recto_search_text(hits.text),
                       hits.query, ${n}) AS marked
    FROM hits JOIN gw_search_pages p USING (page_id) LEFT JOIN gw_pages gp USING (page_id)
    ORDER BY hits.score DESC, hits.page_id, hits.line_no
    """
    return sql, args


def _hit(record: asyncpg.Record) -> Hit:
    return Hit(
        page_id=record["page_id"],
        line_no=record["line_no"],
        line_id=record["line_id"],
        region_id=record["region_id"],
        manuscript_id=record["manuscript_id"],
        corpus_id=record["corpus_id"],
        text=record["text"],
        language=record["language"],
        score=float(record["score"]),
        snippet=read_marks(record["marked"]),
        box=Box(x=record["x"], y=record["y"], width=record["w"], height=record["h"]),
        image_size=(record["image_width"], record["image_height"]),
        canvas_size=(record["canvas_width"], record["canvas_height"]),
        canvas_id=record["canvas_id"],
        status=record["status"],
        recorded_at=record["recorded_at"],
    )
