"""Rows of the read models to and from PostgreSQL: one generic mapping per dataclass."""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import asyncpg

from gateway.domain.jobs import completion_due
from gateway.domain.models import CorpusRow, JobPageRow, JobRow, ManuscriptRow, PageRow

Row = TypeVar("Row")


@dataclass(frozen=True)
class Table(Generic[Row]):
    name: str
    model: type[Row]
    key: tuple[str, ...]
    json_columns: frozenset[str] = frozenset()
    extra: tuple[str, ...] = ()
    """Columns computed from the row on save, never read back into it."""

    @functools.cached_property
    def fields(self) -> list[str]:
        return [f.name for f in dataclasses.fields(self.model)]  # type: ignore[arg-type]

    @functools.cached_property
    def columns(self) -> list[str]:
        return [*self.fields, *self.extra]

    @functools.cached_property
    def json_flags(self) -> list[tuple[str, bool]]:
        return [(name, name in self.json_columns) for name in self.fields]

    @functools.cached_property
    def select(self) -> str:
        return ", ".join(
            f'"{c}"::text' if c in self.json_columns else f'"{c}"' for c in self.fields
        )

    def from_record(self, record: asyncpg.Record) -> Row:
        values = {
            name: json.loads(record[name])
            if name in self.json_columns and record[name]
            else record[name]
            for name in self.fields
        }
        return self.model(**values)

    def to_values(self, row: Row) -> tuple[Any, ...]:
        values = [getattr(row, name) for name in self.fields]
        values = [
            json.dumps(v) if name in self.json_columns and v is not None else v
            for name, v in zip(self.fields, values, strict=True)
        ]
        if self.extra:
            values.append(completion_due(row))  # type: ignore[arg-type]
        return tuple(values)

    @functools.cached_property
    def upsert(self) -> str:
        columns = self.columns
        placeholders = ", ".join(
            f"${i}::jsonb" if c in self.json_columns else f"${i}"
            for i, c in enumerate(columns, start=1)
        )
        updates = ", ".join(f'"{c}" = excluded."{c}"' for c in columns if c not in self.key)
        names = ", ".join(f'"{c}"' for c in columns)
        keys = ", ".join(self.key)
        return (
            f"INSERT INTO {self.name} ({names}) VALUES ({placeholders}) "
            f"ON CONFLICT ({keys}) DO UPDATE SET {updates}"
        )

    async def save(self, connection: asyncpg.Connection, rows: Iterable[Row]) -> None:
        values = [self.to_values(row) for row in rows]
        if values:
            await connection.executemany(self.upsert, values)

    async def load(self, connection: asyncpg.Connection, where: str, *args: Any) -> list[Row]:
        records = await connection.fetch(f"SELECT {self.select} FROM {self.name} {where}", *args)
        return [self.from_record(r) for r in records]

    async def load_by_ids(self, connection: asyncpg.Connection, ids: Sequence[Any]) -> list[Row]:
        if not ids:
            return []
        return await self.load(connection, f"WHERE {self.key[0]} = ANY($1::uuid[])", list(ids))


CORPORA = Table("gw_corpora", CorpusRow, ("corpus_id",))
MANUSCRIPTS = Table(
    "gw_manuscripts", ManuscriptRow, ("manuscript_id",), frozenset({"formats", "error"})
)
PAGES = Table(
    "gw_pages",
    PageRow,
    ("page_id",),
    frozenset({"images", "analysis", "formats", "last_error"}),
)
JOBS = Table(
    "gw_jobs", JobRow, ("job_id",), frozenset({"plan", "counts", "summary"}), ("completion_due",)
)
JOB_PAGES = Table("gw_job_pages", JobPageRow, ("job_id", "page_id"))
READ_MODEL_TABLES = ("gw_corpora", "gw_manuscripts", "gw_pages", "gw_jobs", "gw_job_pages")
