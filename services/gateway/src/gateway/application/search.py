"""Search the indexed lines: refuse malformed queries, widen bare words to their near spellings
(OCR reads one letter wrong more often than not), then rank."""

from __future__ import annotations

from typing import Protocol
from uuid import UUID

from gateway.domain.search_hits import HitPage, SearchFilters
from gateway.domain.search_query import (
    Cursor,
    NearWords,
    SearchQuery,
    fuzzy_tsquery,
    near_words,
)


class SearchIndex(Protocol):
    rank_window: int
    """Matches ranked at most."""

    async def near_words(self, text: str) -> NearWords: ...
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
    ) -> HitPage: ...
    async def autocomplete(
        self, manuscript_id: UUID, prefix: str, limit: int
    ) -> list[tuple[str, int]]: ...


async def search_lines(
    index: SearchIndex,
    query: SearchQuery,
    filters: SearchFilters,
    *,
    limit: int,
    cursor: Cursor | None = None,
    offset: int = 0,
) -> HitPage:
    fuzzy, dense = None, False
    if query.bare_words:
        found = await index.near_words(query.text)
        fuzzy = fuzzy_tsquery({word: near_words(word, near) for word, near in found.words.items()})
        dense = found.read_in_order(index.rank_window)
    return await index.search(
        query, fuzzy, filters, limit=limit, cursor=cursor, offset=offset, dense=dense
    )
