"""The pytest plugin every Recto test run loads (`-p infra.testing.fixtures` at the root)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from uuid import uuid4

import pytest

from infra.eventstore import PostgresEventStore
from infra.settings import Settings
from infra.testing.corpora import corpora_root
from infra.testing.databases import (
    clone_database,
    create_database,
    create_template,
    drop_database,
    with_database,
)
from infra.testing.patience import patience_factor
from infra.testing.servers import nats_server, postgres_server


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test's pytest-timeout (its marker's, else the configured one) × RECTO_TEST_PATIENCE."""
    factor = patience_factor()
    if factor == 1:
        return
    default = float(config.getini("timeout") or 0)
    for item in items:
        marker = item.get_closest_marker("timeout")
        seconds = float(marker.args[0]) if marker and marker.args else default
        if seconds > 0:
            item.add_marker(pytest.mark.timeout(seconds * factor), append=False)


@pytest.fixture(scope="session")
def corpora() -> Path:
    """The shared corpora folder; tests that need it skip, saying why, when it is absent."""
    root = corpora_root()
    if root is None:
        pytest.skip("corpora not found: set RECTO_CORPORA to the shared corpora folder")
    return root


@pytest.fixture(scope="session")
def postgres_admin_url() -> Iterator[str]:
    with postgres_server() as url:
        yield url


@pytest.fixture(scope="session")
def template_database(postgres_admin_url: str) -> Iterator[str]:
    name = create_template(postgres_admin_url)
    yield name
    drop_database(postgres_admin_url, name)


@pytest.fixture
def database_url(postgres_admin_url: str, template_database: str) -> Iterator[str]:
    """A freshly migrated database of this test's own."""
    name = clone_database(postgres_admin_url, template_database)
    yield with_database(postgres_admin_url, name)
    drop_database(postgres_admin_url, name)


@pytest.fixture
def empty_database_url(postgres_admin_url: str) -> Iterator[str]:
    """A database of this test's own with no table at all, not even the event store's."""
    name = create_database(postgres_admin_url)
    yield with_database(postgres_admin_url, name)
    drop_database(postgres_admin_url, name)


@pytest.fixture(scope="session")
def nats_url() -> Iterator[str]:
    with nats_server() as url:
        yield url


@pytest.fixture
async def nats_prefix(nats_url: str) -> AsyncIterator[str]:
    """A subject prefix (and so stream names) of this test's own; its streams go afterwards."""
    import nats
    from nats.js.errors import NotFoundError

    from contracts.subjects import dead_letter_stream, events_stream

    prefix = f"t{uuid4().hex[:12]}"
    yield prefix
    client = await nats.connect(nats_url)
    try:
        for stream in (events_stream(prefix), dead_letter_stream(prefix)):
            with contextlib.suppress(NotFoundError):
                await client.jetstream().delete_stream(stream)
    finally:
        await client.close()


@pytest.fixture
async def event_store(database_url: str) -> AsyncIterator[PostgresEventStore]:
    store = await PostgresEventStore.connect(database_url)
    yield store
    await store.close()


@pytest.fixture
def settings(database_url: str, nats_url: str, nats_prefix: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url,
        nats_url=nats_url,
        nats_prefix=nats_prefix,
        artifacts=tmp_path / "artifacts",
        state_dir=tmp_path / "state",
    )
