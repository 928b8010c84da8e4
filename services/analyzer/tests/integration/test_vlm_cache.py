"""One contract for both VLM caches: the in-memory twin and PostgreSQL (`vlm_cache` table)."""

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest

from analyzer.adapters.vlm_cache import InMemoryVlmCache, PostgresVlmCache, VlmCache, cache_key
from infra.eventstore import asyncpg_dsn

IMAGE = "ab" * 32


class VlmCacheContract:
    """Subclasses provide a fixture `cache` yielding an empty cache."""

    async def test_a_miss_then_a_hit(self, cache: VlmCache) -> None:
        key = cache_key(IMAGE, "Transcribe.", "model-a", {"temperature": 0})

        assert await cache.get(key) is None
        await cache.put(key, '{"choices": []}', "model-a")
        assert await cache.get(key) == '{"choices": []}'

    async def test_the_first_answer_stays(self, cache: VlmCache) -> None:
        key = cache_key(IMAGE, "Transcribe.", "model-a", {})
        await cache.put(key, "first", "model-a")
        await cache.put(key, "second", "model-a")

        assert await cache.get(key) == "first"

    async def test_unicode_answers_round_trip(self, cache: VlmCache) -> None:
        key = cache_key(IMAGE, "Transcribe.", "model-a", {})
        await cache.put(key, "Qⁱ me metroit ꝑ faire bien — ſ", "model-a")

        assert await cache.get(key) == "Qⁱ me metroit ꝑ faire bien — ſ"


def test_the_key_changes_with_every_input_and_not_with_parameter_order() -> None:
    base = cache_key(IMAGE, "Transcribe.", "model-a", {"temperature": 0, "max_tokens": 10})

    assert base == cache_key(IMAGE, "Transcribe.", "model-a", {"max_tokens": 10, "temperature": 0})
    assert (
        len(
            {
                base,
                cache_key(
                    "cd" * 32, "Transcribe.", "model-a", {"temperature": 0, "max_tokens": 10}
                ),
                cache_key(IMAGE, "Transcribe!", "model-a", {"temperature": 0, "max_tokens": 10}),
                cache_key(IMAGE, "Transcribe.", "model-b", {"temperature": 0, "max_tokens": 10}),
                cache_key(IMAGE, "Transcribe.", "model-a", {"temperature": 1, "max_tokens": 10}),
            }
        )
        == 5
    )


class TestInMemoryVlmCache(VlmCacheContract):
    @pytest.fixture
    def cache(self) -> VlmCache:
        return InMemoryVlmCache()


@pytest.mark.integration
class TestPostgresVlmCache(VlmCacheContract):
    @pytest.fixture
    async def cache(self, database_url: str) -> AsyncIterator[VlmCache]:
        pool = await asyncpg.create_pool(asyncpg_dsn(database_url), min_size=1, max_size=2)
        cache = PostgresVlmCache(pool)
        await cache.create_table()
        await cache.create_table()  # every replica may run it at start: twice is harmless
        yield cache
        await pool.close()


@pytest.mark.integration
async def test_replicas_starting_together_create_the_table_once(database_url: str) -> None:
    pools = [
        await asyncpg.create_pool(asyncpg_dsn(database_url), min_size=1, max_size=1)
        for _ in range(4)
    ]
    try:
        await asyncio.gather(*(PostgresVlmCache(pool).create_table() for pool in pools))

        cache = PostgresVlmCache(pools[0])
        await cache.put("k" * 64, "answer", "model-a")
        assert await cache.get("k" * 64) == "answer"
    finally:
        for pool in pools:
            await pool.close()
