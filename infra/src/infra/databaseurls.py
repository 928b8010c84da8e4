"""`RECTO_DATABASE_URL` is SQLAlchemy's spelling (`postgresql+asyncpg://…`); asyncpg wants the
plain `postgresql://…`. A module of its own, importing nothing: `recto up` needs it before it
starts anything, without the event store's imports."""

from __future__ import annotations


def asyncpg_dsn(database_url: str) -> str:
    return database_url.replace("postgresql+asyncpg://", "postgresql://", 1)
