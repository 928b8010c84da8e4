"""How settings become the ways a process reaches PostgreSQL."""

from __future__ import annotations

from infra.database import DatabaseAccess
from infra.settings import Settings

URL = "postgresql+asyncpg://recto@pgbouncer:6432/recto"
DIRECT = "postgresql+asyncpg://recto@postgres:5432/recto"


def test_without_a_direct_url_everything_takes_the_one_url_with_the_processs_pool_size() -> None:
    access = DatabaseAccess.of(Settings(database_url=DIRECT), max_size=20)
    assert (access.url, access.direct_url) == (DIRECT, DIRECT)
    assert (access.min_size, access.max_size, access.statement_cache_size) == (1, 20, 100)
    assert access.listen


def test_behind_a_pooler_sessions_take_the_direct_url_and_the_settings_win() -> None:
    settings = Settings(
        database_url=URL,
        database_direct_url=DIRECT,
        database_pool_min=0,
        database_pool_max=4,
        database_session_pool_max=1,
        database_statement_cache_size=0,
        database_listen=False,
    )
    access = DatabaseAccess.of(settings, max_size=20)
    assert (access.url, access.direct_url) == (URL, DIRECT)
    assert (access.min_size, access.max_size, access.session_pool_max) == (0, 4, 1)
    assert access.statement_cache_size == 0
    assert not access.listen
    assert settings.direct_database_url() == DIRECT
