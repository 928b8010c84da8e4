"""Rows of the read models to and from PostgreSQL: one generic mapping per dataclass.

Rows are saved by one multi-row upsert per table (`unnest` of one array per column): a
projection batch writes hundreds of rows, and PostgreSQL plans and runs a single statement
where one per row (`executemany`) costs it an executor start each.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import operator
import types
import typing
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar
from uuid import UUID

import asyncpg

from gateway.domain.jobs import completion_due
from gateway.domain.models import CorpusRow, JobPageRow, JobRow, ManuscriptRow, PageRow

Row = TypeVar("Row")
_SQL_TYPES: dict[object, str] = {
    UUID: "uuid",
    str: "text",
    int: "int",
    float: "float8",
    bool: "bool",
    datetime: "timestamptz",
}
_EXTRA_TYPE = "bool"
"""The type of the computed columns (`completion_due`)."""


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
    def is_json(self) -> list[bool]:
        return [name in self.json_columns for name in self.fields]

    @functools.cached_property
    def values_of(self) -> operator.attrgetter[tuple[Any, ...]]:
        return operator.attrgetter(*self.fields)

    @functools.cached_property
    def select(self) -> str:
        return ", ".join(
            f'"{c}"::text' if c in self.json_columns else f'"{c}"' for c in self.fields
        )

    def from_record(self, record: asyncpg.Record) -> Row:
        # `select` lists the fields in order: the record holds the dataclass's arguments.
        return self.model(
            *[json.loads(v) if j and v else v for v, j in zip(record, self.is_json, strict=True)]
        )

    def to_values(self, row: Row) -> list[Any]:
        values = [
            json.dumps(v) if j and v is not None else v
            for v, j in zip(self.values_of(row), self.is_json, strict=True)
        ]
        if self.extra:
            values.append(completion_due(row))  # type: ignore[arg-type]
        return values

    @functools.cached_property
    def sql_types(self) -> list[str]:
        """Each column's array element type; JSON travels as text and is cast per row."""
        hints = typing.get_type_hints(self.model)
        kinds = ["text" if f in self.json_columns else _sql_type(hints[f]) for f in self.fields]
        return [*kinds, *(_EXTRA_TYPE for _ in self.extra)]

    @functools.cached_property
    def upsert(self) -> str:
        columns = self.columns
        arrays = ", ".join(f"${i}::{kind}[]" for i, kind in enumerate(self.sql_types, start=1))
        values = ", ".join(
            f'u."{c}"::jsonb' if c in self.json_columns else f'u."{c}"' for c in columns
        )
        updates = ", ".join(f'"{c}" = excluded."{c}"' for c in columns if c not in self.key)
        names = ", ".join(f'"{c}"' for c in columns)
        keys = ", ".join(self.key)
        return (
            f"INSERT INTO {self.name} ({names}) SELECT {values} "
            f"FROM unnest({arrays}) AS u({names}) "
            f"ON CONFLICT ({keys}) DO UPDATE SET {updates}"
        )

    async def save(self, connection: asyncpg.Connection, rows: Iterable[Row]) -> None:
        """Upsert `rows`, which must not repeat a key (one statement cannot update a row twice)."""
        values = [self.to_values(row) for row in rows]
        if values:
            columns = [list(column) for column in zip(*values, strict=True)]
            await connection.execute(self.upsert, *columns)

    async def load(self, connection: asyncpg.Connection, where: str, *args: Any) -> list[Row]:
        records = await connection.fetch(f"SELECT {self.select} FROM {self.name} {where}", *args)
        return [self.from_record(r) for r in records]

    async def load_by_ids(self, connection: asyncpg.Connection, ids: Sequence[Any]) -> list[Row]:
        if not ids:
            return []
        return await self.load(connection, f"WHERE {self.key[0]} = ANY($1::uuid[])", list(ids))


def _sql_type(hint: object) -> str:
    if isinstance(hint, types.UnionType):  # `X | None`: the column is nullable
        (hint,) = [arg for arg in typing.get_args(hint) if arg is not type(None)]
    return _SQL_TYPES[hint]


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
