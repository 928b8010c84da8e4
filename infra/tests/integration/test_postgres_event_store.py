from collections.abc import AsyncIterator

import pytest

from infra.eventstore import PostgresEventStore
from infra.testing.eventstore_contract import EventStoreContract

pytestmark = pytest.mark.integration


class TestPostgresEventStore(EventStoreContract):
    @pytest.fixture
    async def store(self, event_store: PostgresEventStore) -> AsyncIterator[PostgresEventStore]:
        return event_store
