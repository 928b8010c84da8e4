"""Read-model queries: the GET endpoints' (perhaps on a replica) and the commands' (primary)."""

from __future__ import annotations

from typing import Any, TypeVar
from uuid import UUID

import asyncpg

from gateway.adapters.read_routing import PrimaryReads, ReadConnections
from gateway.adapters.tables import CORPORA, JOB_PAGES, JOBS, MANUSCRIPTS, PAGES, Table
from gateway.domain.models import CorpusRow, JobPageRow, JobRow, ManuscriptRow, PageRow

Row = TypeVar("Row")


class ReadModels:
    def __init__(self, source: asyncpg.Pool | ReadConnections) -> None:
        """`source`: where the queries run; a pool is the primary."""
        self.source = PrimaryReads(source) if isinstance(source, asyncpg.Pool) else source

    async def _one(self, table: Table[Row], key: UUID) -> Row | None:
        rows = await self.source.read(lambda connection: table.load_by_ids(connection, [key]))
        return rows[0] if rows else None

    async def _page_of(
        self, table: Table[Row], where: str, args: list[Any], order: str, offset: int, limit: int
    ) -> tuple[list[Row], int]:
        n = len(args)

        async def page(connection: asyncpg.Connection) -> tuple[list[Row], int]:
            total = await connection.fetchval(f"SELECT count(*) FROM {table.name} {where}", *args)
            rows = await table.load(
                connection,
                f"{where} ORDER BY {order} OFFSET ${n + 1} LIMIT ${n + 2}",
                *args,
                offset,
                limit,
            )
            return rows, int(total)

        return await self.source.read(page)

    async def corpus(self, corpus_id: UUID) -> CorpusRow | None:
        return await self._one(CORPORA, corpus_id)

    async def corpus_by_slug(self, slug: str) -> CorpusRow | None:
        rows = await self.source.read(
            lambda connection: CORPORA.load(connection, "WHERE slug = $1", slug)
        )
        return rows[0] if rows else None

    async def corpora(
        self, corpora: frozenset[UUID] | None, offset: int, limit: int
    ) -> tuple[list[CorpusRow], int]:
        where, args = _visible("corpus_id", corpora)
        return await self._page_of(CORPORA, where, args, "created_at, corpus_id", offset, limit)

    async def manuscript(self, manuscript_id: UUID) -> ManuscriptRow | None:
        return await self._one(MANUSCRIPTS, manuscript_id)

    async def manuscripts_of(
        self, corpus_id: UUID, offset: int, limit: int
    ) -> tuple[list[ManuscriptRow], int]:
        return await self._page_of(
            MANUSCRIPTS,
            "WHERE corpus_id = $1",
            [corpus_id],
            "created_at, manuscript_id",
            offset,
            limit,
        )

    async def page(self, page_id: UUID) -> PageRow | None:
        return await self._one(PAGES, page_id)

    async def pages_of(
        self, manuscript_id: UUID, status: str | None, offset: int, limit: int
    ) -> tuple[list[PageRow], int]:
        where, args = "WHERE manuscript_id = $1", [manuscript_id]
        if status:
            where = where + " AND status = $2"
            args = [manuscript_id, status]  # type: ignore[list-item]
        return await self._page_of(PAGES, where, args, '"index", page_id', offset, limit)

    async def page_ids(
        self, *, corpus_id: UUID | None = None, manuscript_id: UUID | None = None
    ) -> list[tuple[UUID, UUID]]:
        """(page id, corpus id) of every page of a manuscript or corpus, in reading order."""
        column, value = (
            ("manuscript_id", manuscript_id) if manuscript_id else ("corpus_id", corpus_id)
        )
        records = await self.source.read(
            lambda connection: connection.fetch(
                f"SELECT page_id, corpus_id FROM gw_pages WHERE {column} = $1 "
                f'ORDER BY manuscript_id, "index"',
                value,
            )
        )
        return [(r["page_id"], r["corpus_id"]) for r in records]

    async def pages_by_ids(self, page_ids: list[UUID]) -> list[PageRow]:
        return await self.source.read(lambda connection: PAGES.load_by_ids(connection, page_ids))

    async def job(self, job_id: UUID) -> JobRow | None:
        return await self._one(JOBS, job_id)

    async def jobs(
        self, corpora: frozenset[UUID] | None, status: str | None, offset: int, limit: int
    ) -> tuple[list[JobRow], int]:
        where, args = _visible("corpus_id", corpora)
        if status:
            args.append(status)
            where = f"{where} {'AND' if where else 'WHERE'} status = ${len(args)}"
        return await self._page_of(JOBS, where, args, "created_at DESC, job_id", offset, limit)

    async def job_pages(self, job_id: UUID, *, failed_only: bool = False) -> list[JobPageRow]:
        where = "WHERE job_id = $1" + (" AND failed" if failed_only else "") + " ORDER BY page_id"
        return await self.source.read(lambda connection: JOB_PAGES.load(connection, where, job_id))

    async def unsettled_pages(self, idle_seconds: float, limit: int) -> list[UUID]:
        """Pages still on their way (not exported, failed or skipped, of no cancelled job),
        untouched for `idle_seconds`, the longest untouched first: the sweeper's candidates."""
        records = await self.source.read(
            lambda connection: connection.fetch(
                "SELECT p.page_id FROM gw_pages p LEFT JOIN gw_jobs j ON j.job_id = p.job_id "
                "WHERE p.status NOT IN ('exported', 'failed', 'skipped') "
                "AND p.updated_at < now() - make_interval(secs => $1) "
                "AND NOT coalesce(j.cancelled, false) ORDER BY p.updated_at LIMIT $2",
                idle_seconds,
                limit,
            )
        )
        return [r["page_id"] for r in records]

    async def jobs_due(self) -> list[JobRow]:
        return await self.source.read(
            lambda connection: JOBS.load(
                connection, "WHERE completion_due ORDER BY created_at LIMIT 100"
            )
        )


def _visible(column: str, corpora: frozenset[UUID] | None) -> tuple[str, list[Any]]:
    if corpora is None:
        return "", []
    return f"WHERE {column} = ANY($1::uuid[])", [sorted(corpora)]
