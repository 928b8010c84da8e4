from collections.abc import AsyncIterator

import pytest

from infra.eventstore import InMemoryEventStore
from infra.testing.eventstore_contract import EventStoreContract


class TestInMemoryEventStore(EventStoreContract):
    @pytest.fixture
    async def store(self) -> AsyncIterator[InMemoryEventStore]:
        return InMemoryEventStore()
