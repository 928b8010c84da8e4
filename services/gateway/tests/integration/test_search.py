"""Full-text search over a served gateway: refusals, key scopes, filters, re-exports, rebuilds
and the IIIF Content Search answers, on a real PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest

from contracts import PageAnalysis, PageAnalysisStarted, PageExported, page_stream
from gateway.adapters.api_keys import create_api_key
from gateway.adapters.search_index import PostgresSearchIndex
from gateway.adapters.search_projection import SEARCH_TABLES, SearchProjection
from gateway.domain.search_hits import SearchFilters
from gateway.domain.search_query import parse_query
from gateway.testing import (
    analysis,
    export,
    new_manuscript,
    register,
    search_caught_up,
    searchable_page,
)
from infra.artifacts import FileArtifactStore
from infra.eventstore import PostgresEventStore
from infra.projections import ProjectionRunner
from infra.testing.pipeline import eventually

pytestmark = pytest.mark.integration

GERMAN = [
    "Aufklärung iſt der Ausgang des Menſchen aus ſeiner",
    "ſelbſt verſchuldeten Unmündigkeit. Unmündigkeit iſt das",
    "Unvermögen, ſich ſeines Verſtandes ohne Leitung eines",
    "Mühe & Koſten <i>",
]
FRENCH = [
    "Le château de la Belle au bois dormant était caché",
    "derrière une forêt d'épines où nul n'osait entrer.",
]


@pytest.fixture
def artifacts(gateway: Any) -> FileArtifactStore:
    return FileArtifactStore(gateway.artifacts)


async def _two_corpora(
    client: httpx.AsyncClient,
    event_store: PostgresEventStore,
    artifacts: FileArtifactStore,
    pool: asyncpg.Pool,
) -> dict[str, Any]:
    german, kant = await new_manuscript(client, "kant")
    french, tales = await new_manuscript(client, "contes")
    kant_page = await searchable_page(
        event_store, artifacts, german, kant, 0, analysis(GERMAN, languages=["deu", "frk"])
    )
    tale_page = await searchable_page(
        event_store,
        artifacts,
        french,
        tales,
        0,
        analysis(FRENCH, languages=["fra"], width=2000, height=3000),
        canvas=(1000, 1500),
        canvas_id="https://iiif.example.org/contes/canvas/1",
    )
    await search_caught_up(pool)
    return {
        "german": german,
        "kant": kant,
        "kant_page": kant_page,
        "french": french,
        "tales": tales,
        "tale_page": tale_page,
    }


async def test_words_are_found_across_languages_with_their_boxes_and_snippets(
    client: httpx.AsyncClient,
    event_store: PostgresEventStore,
    artifacts: FileArtifactStore,
    pool: asyncpg.Pool,
) -> None:
    made = await _two_corpora(client, event_store, artifacts, pool)

    # German stems, long s and umlauts fold: "unmundig" finds both "Unmündigkeit" lines.
    found = (await client.get("/v1/search", params={"q": "UNMUNDIGKEIT"})).json()
    assert found["total"] == 1
    hit = found["items"][0]
    assert hit["page_id"] == str(made["kant_page"])
    assert hit["matches"] == ["Unmündigkeit", "Unmündigkeit"]
    assert hit["snippet"].count("<mark>Unmündigkeit</mark>") == 2
    assert hit["line_number"] == 2
    assert hit["box"] == {"x": 100, "y": 150, "w": 12 * len(GERMAN[1]), "h": 40}

    # French: accents fold, the canvas is half the image, its id the source's.
    found = (await client.get("/v1/search", params={"q": "chateau foret"})).json()
    assert found["total"] == 0, "two words on two lines are no line's match"
    found = (await client.get("/v1/search", params={"q": "chateau"})).json()
    hit = found["items"][0]
    assert hit["canvas_id"] == "https://iiif.example.org/contes/canvas/1"
    assert hit["canvas_box"] == {
        "x": 50,
        "y": 50,
        "w": 6 * len(FRENCH[0]),
        "h": 20,
    }
    assert "<mark>château</mark>" in hit["snippet"]

    # Markup in a line is text, escaped in the snippet; long s reads as s.
    found = (await client.get("/v1/search", params={"q": "muhe kosten"})).json()
    assert found["items"][0]["snippet"] == "<mark>Mühe</mark> &amp; <mark>Koſten</mark> &lt;i&gt;"
    assert found["items"][0]["text"] == "Mühe & Koſten <i>"


async def test_one_wrong_letter_still_finds_and_ranks_below_the_exact_word(
    client: httpx.AsyncClient,
    event_store: PostgresEventStore,
    artifacts: FileArtifactStore,
    pool: asyncpg.Pool,
) -> None:
    corpus, manuscript = await new_manuscript(client, "noise")
    lines = ["die Vernunft allein", "die Vernunst allein", "die Vernunft und die Vernunft"]
    await searchable_page(
        event_store, artifacts, corpus, manuscript, 0, analysis(lines, languages=["deu"])
    )
    await search_caught_up(pool)

    found = (await client.get("/v1/search", params={"q": "Vernunft"})).json()
    texts = [item["text"] for item in found["items"]]
    assert set(texts) == set(lines), "the misread line is found too"
    assert texts[-1] == "die Vernunst allein", "the exact spelling ranks first"
    scores = [item["score"] for item in found["items"]]
    assert scores == sorted(scores, reverse=True)

    # And the other way round: a query with a wrong letter finds the right word.
    found = (await client.get("/v1/search", params={"q": "Vernumft"})).json()
    assert {item["text"] for item in found["items"]} == {lines[0], lines[2]}, "two letters off"
    # Short words tolerate nothing: one letter makes another word.
    assert (await client.get("/v1/search", params={"q": "dle"})).json()["total"] == 0
    # Phrases are exact.
    found = (await client.get("/v1/search", params={"q": '"Vernunst allein"'})).json()
    assert [item["text"] for item in found["items"]] == ["die Vernunst allein"]


MALFORMED = [
    ({}, "q is required"),
    ({"q": ""}, "q is required"),
    ({"q": "   "}, "q is required"),
    ({"q": "a" * 10_000}, "q is 10000 characters long; at most 256 are allowed"),
    ({"q": 'the "open phrase'}, "unbalanced double quote at position 4"),
    ({"q": "tab\there"}, "contains control characters"),
    ({"q": "nul\x00byte"}, "contains control characters"),
    ({"q": "!!! ---"}, "no word to search for"),
    ({"q": "word", "cursor": "not-a-cursor"}, "cursor is not one this API returned"),
    ({"q": "word", "limit": "0"}, "does not fit its schema"),
    ({"q": "word", "from": "yesterday"}, "does not fit its schema"),
    ({"q": "word", "status": "burnt"}, "does not fit its schema"),
]


@pytest.mark.parametrize(("params", "detail"), MALFORMED)
async def test_malformed_queries_get_a_precise_problem(
    client: httpx.AsyncClient, params: dict[str, str], detail: str
) -> None:
    answer = await client.get("/v1/search", params=params)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert detail in answer.json()["detail"]


@pytest.mark.parametrize(
    "q",
    [
        "'; DROP TABLE gw_search_lines; --",
        "1' OR '1'='1",
        "a & b | !c <-> d:*",
        "\\' \\\\ $1 $$",
        "-only -negated",
        "or or or",
    ],
)
async def test_sql_and_tsquery_syntax_are_only_text(
    client: httpx.AsyncClient,
    event_store: PostgresEventStore,
    artifacts: FileArtifactStore,
    pool: asyncpg.Pool,
    q: str,
) -> None:
    corpus, manuscript = await new_manuscript(client, "safe")
    await searchable_page(
        event_store, artifacts, corpus, manuscript, 0, analysis(["drop table"], languages=["eng"])
    )
    await search_caught_up(pool)
    answer = await client.get("/v1/search", params={"q": q})
    assert answer.status_code == 200, answer.text
    assert await pool.fetchval("SELECT count(*) FROM gw_search_lines") == 1


async def test_a_corpus_scoped_key_sees_no_other_corpus(
    client: httpx.AsyncClient,
    gateway: Any,
    event_store: PostgresEventStore,
    artifacts: FileArtifactStore,
    pool: asyncpg.Pool,
) -> None:
    made = await _two_corpora(client, event_store, artifacts, pool)
    # The same word in both corpora.
    await searchable_page(
        event_store,
        artifacts,
        made["french"],
        made["tales"],
        1,
        analysis(["Aufklärung en français"], languages=["fra"]),
    )
    await search_caught_up(pool)
    assert (await client.get("/v1/search", params={"q": "Aufklarung"})).json()["total"] == 2

    french_only = await create_api_key(pool, ["read"], [made["french"]])
    async with httpx.AsyncClient(
        base_url=gateway.url, headers={"X-API-Key": french_only}, timeout=10
    ) as scoped:
        found = (await scoped.get("/v1/search", params={"q": "Aufklarung"})).json()
        assert [item["corpus_id"] for item in found["items"]] == [str(made["french"])]
        assert found["total"] == 1
        asked = await scoped.get("/v1/search", params={"q": "Aufklarung", "corpus": made["german"]})
        assert asked.status_code == 404
        asked = await scoped.get(
            "/v1/search", params={"q": "Aufklarung", "manuscript": made["kant"]}
        )
        assert asked.status_code == 404
        iiif = await scoped.get(f"/v1/manuscripts/{made['kant']}/search", params={"q": "a"})
        assert iiif.status_code == 404
    async with httpx.AsyncClient(base_url=gateway.url, timeout=10) as anonymous:
        assert (await anonymous.get("/v1/search", params={"q": "x"})).status_code == 401


async def test_filters_and_cursor_pages(
    client: httpx.AsyncClient,
    event_store: PostgresEventStore,
    artifacts: FileArtifactStore,
    pool: asyncpg.Pool,
) -> None:
    made = await _two_corpora(client, event_store, artifacts, pool)
    lines = [f"Seite {n} der Unmündigkeit" for n in range(7)]
    second = await searchable_page(
        event_store, artifacts, made["german"], made["kant"], 1, analysis(lines, languages=["deu"])
    )
    # The second page is being analysed again: its status moves on, its lines stay searchable.
    await event_store.append(
        page_stream(second),
        [PageAnalysisStarted(page_id=second, engine="tesseract", attempt=1)],
    )
    await search_caught_up(pool)

    async def second_analyzing() -> bool:
        return (await client.get(f"/v1/pages/{second}")).json()["status"] == "analyzing"

    await eventually(second_analyzing)

    everything = (await client.get("/v1/search", params={"q": "unmundigkeit"})).json()
    assert everything["total"] == 8
    # Three at a time, following `next`: every hit once, in the same order.
    seen: list[tuple[str, int]] = []
    url: str | None = "/v1/search?q=unmundigkeit&limit=3"
    while url:
        page = (await client.get(url)).json()
        assert page["total"] == 8
        seen += [(item["page_id"], item["line_number"]) for item in page["items"]]
        url = page["next"]
    assert seen == [(item["page_id"], item["line_number"]) for item in everything["items"]]

    async def count(**params: object) -> int:
        found = await client.get("/v1/search", params={"q": "unmundigkeit", **params})
        assert found.status_code == 200, found.text
        return int(found.json()["total"])

    assert await count(corpus=made["french"]) == 0
    assert await count(corpus=made["german"], manuscript=made["kant"]) == 8
    assert await count(status="exported") == 1
    assert await count(status="analyzing") == 7
    assert await count(status="failed") == 0
    now = datetime.now(UTC)
    assert await count(**{"from": (now - timedelta(hours=1)).isoformat()}) == 8
    assert await count(**{"to": (now - timedelta(hours=1)).isoformat()}) == 0


async def _snapshot(pool: asyncpg.Pool) -> dict[str, list[tuple[str, ...]]]:
    tables = {}
    for table in SEARCH_TABLES:
        rows = await pool.fetch(f"SELECT * FROM {table}")
        tables[table] = sorted(tuple(str(v) for v in row.values()) for row in rows)
    return tables


async def test_a_new_export_replaces_the_lines_and_a_rebuild_reproduces_the_index(
    client: httpx.AsyncClient,
    gateway: Any,
    start_gateway: Callable[..., Any],
    event_store: PostgresEventStore,
    artifacts: FileArtifactStore,
    pool: asyncpg.Pool,
) -> None:
    made = await _two_corpora(client, event_store, artifacts, pool)
    # A corrected transcription is exported again: its lines replace the old ones.
    await export(
        event_store,
        artifacts,
        made["kant_page"],
        analysis(
            ["Aufklärung ist der Ausgang", "Habe Mut dich deines Verstandes"], languages=["deu"]
        ),
    )
    # An export whose analysis artifact is gone, or is no analysis, is recorded, not fatal.
    lost, garbled = [await register(event_store, made["german"], made["kant"], n) for n in (1, 2)]
    missing = artifacts.put(b"gone before it was read", PageAnalysis.media_type)
    artifacts.path(missing).unlink()
    await event_store.append(
        page_stream(lost), [PageExported(page_id=lost, analysis=missing, formats={})]
    )
    await event_store.append(
        page_stream(garbled),
        [
            PageExported(
                page_id=garbled,
                analysis=artifacts.put(b'{"regions": 3}', PageAnalysis.media_type),
                formats={},
            )
        ],
    )
    await export(event_store, artifacts, made["tale_page"], analysis(FRENCH, languages=["fra"]))
    await search_caught_up(pool)

    errors = dict(await pool.fetch("SELECT page_id, index_error FROM gw_search_pages"))
    assert "is missing" in errors[lost]
    assert "is not a PageAnalysis" in errors[garbled]
    assert (await client.get("/v1/search", params={"q": "Unmündigkeit"})).json()["total"] == 0
    assert (await client.get("/v1/search", params={"q": "Mut"})).json()["total"] == 1
    terms = dict(await pool.fetch("SELECT term, lines FROM gw_search_terms"))
    assert "unmundigkeit" not in terms
    assert terms["aufklarung"] == 1
    assert terms["verstandes"] == 1

    queries = ["Aufklärung", "Verstandes", "chateau", "Vernumft", '"Habe Mut"', "der -Ausgang"]
    live = {q: (await client.get("/v1/search", params={"q": q})).json() for q in queries}
    tables = await _snapshot(pool)

    # Rebuild with the gateway stopped, so this runner alone replays the log from position 0.
    gateway.stop()
    await ProjectionRunner(event_store, SearchProjection(artifacts)).rebuild()
    assert await _snapshot(pool) == tables
    restarted = start_gateway()
    async with httpx.AsyncClient(
        base_url=restarted.url, headers=client.headers, timeout=10
    ) as again:
        for q in queries:
            assert (await again.get("/v1/search", params={"q": q})).json() == live[q], q


async def test_reading_lines_in_order_finds_what_the_word_index_finds(
    client: httpx.AsyncClient,
    event_store: PostgresEventStore,
    artifacts: FileArtifactStore,
    pool: asyncpg.Pool,
) -> None:
    corpus, manuscript = await new_manuscript(client, "dense")
    lines = [f"Zeile {n} {'der Vernunft' if n % 3 else 'des Verstandes'}" for n in range(60)]
    await searchable_page(event_store, artifacts, corpus, manuscript, 0, analysis(lines, ["deu"]))
    await search_caught_up(pool)

    await pool.execute("ANALYZE gw_search_lines")  # the planner's line count, used below
    index = PostgresSearchIndex(pool, rank_window=100)
    near = await index.near_words("Vernunft")
    assert near.share == pytest.approx(40 / 60, rel=0.2)
    query = parse_query("Vernunft", 256)
    by_index = await index.search(query, None, SearchFilters(), limit=50)
    in_order = await index.search(query, None, SearchFilters(), limit=50, dense=True)
    assert by_index == in_order
    assert by_index.total == 40
