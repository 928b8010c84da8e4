"""B11: full-text search latency through the HTTP API over 100,000 synthetic pages.

The pages are generated, not run through the pipeline: lines are COPYed into the search
projection's tables as the projection would have written them (text, language configuration,
box, tsvector computed by PostgreSQL, lexicon counted from the lines), which takes minutes
instead of days. Lines per page and words per line follow a normal law around 32 and 8; words
are drawn from a Zipf-distributed vocabulary of 40,000 made-up words (syllables of German,
French and Latin shapes), so common, middling and rare words exist as in real text. The few
commonest are as frequent as stop words (which the German, French and English configurations
drop, but `simple` keeps): queries on them are reported as stress cases. Corpora use German,
French and `simple` (Latin) configurations.

The gateway runs under uvicorn in its own process; each representative query is asked
`RECTO_BENCH_SEARCH_QUERIES` times (after a warm-up) and its p50/p95 latencies are reported.
Goal: p95 ≤ 50 ms. `RECTO_BENCH_SEARCH_PAGES` sets the page count (default 100,000).
"""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import asyncpg
import httpx
from benchlib import servers, table, write_results

from gateway.adapters.migrate import upgrade_async as upgrade_gateway
from infra.eventstore import asyncpg_dsn
from infra.eventstore.migrate import upgrade_async as upgrade_event_store

PAGES = int(os.environ.get("RECTO_BENCH_SEARCH_PAGES", "100000"))
QUERIES = int(os.environ.get("RECTO_BENCH_SEARCH_QUERIES", "60"))
VOCABULARY = 40_000
CORPORA = [("german", 4), ("french", 3), ("simple", 3)]
"""Configurations of the ten corpora: four German, three French, three Latin."""
MANUSCRIPTS_PER_CORPUS = 100
CHUNK = 5_000
ONSETS = ["b", "br", "d", "f", "g", "gr", "h", "k", "l", "m", "n", "p", "r", "s", "st", "t", "v"]
NUCLEI = ["a", "e", "i", "o", "u", "ä", "ö", "ü", "é", "è", "au", "ei", "ie", "ou"]
CODAS = ["", "n", "r", "s", "t", "nd", "ng", "ch", "ſt", "m", "l", "x"]


def vocabulary(rng: random.Random) -> list[str]:
    """Distinct made-up words of one to four syllables, the shortest (commonest) first."""
    words: dict[str, None] = {}
    while len(words) < VOCABULARY:
        syllables = rng.choices([1, 2, 3, 4], weights=[3, 5, 3, 1])[0]
        word = "".join(
            rng.choice(ONSETS) + rng.choice(NUCLEI) + rng.choice(CODAS) for _ in range(syllables)
        )
        words[word] = None
    return sorted(words, key=len)


def pages(rng: random.Random, words: list[str]) -> Any:
    """Pages as (page, manuscript, corpus, config, [line texts]), in chunks."""
    weights = [1 / rank for rank in range(1, len(words) + 1)]
    cumulative = list(_accumulate(weights))
    configs = [config for config, count in CORPORA for _ in range(count)]
    corpora = [(corpus_id(n), config) for n, config in enumerate(configs)]
    for start in range(0, PAGES, CHUNK):
        chunk = []
        for n in range(start, min(PAGES, start + CHUNK)):
            corpus, config = corpora[n % len(corpora)]
            manuscript = manuscript_id(corpus, (n // len(corpora)) % MANUSCRIPTS_PER_CORPUS)
            line_count = max(4, min(60, round(rng.gauss(32, 8))))
            lengths = [max(1, min(14, round(rng.gauss(8, 2)))) for _ in range(line_count)]
            drawn = iter(rng.choices(words, cum_weights=cumulative, k=sum(lengths)))
            lines = [" ".join(next(drawn) for _ in range(k)) for k in lengths]
            lines = [line[0].upper() + line[1:] for line in lines]
            chunk.append((UUID(int=n + 1), manuscript, corpus, config, lines))
        yield chunk


def corpus_id(n: int) -> UUID:
    return UUID(int=(n + 1) << 64)


def manuscript_id(corpus: UUID, n: int) -> UUID:
    return UUID(int=corpus.int + n + 1)


def _accumulate(values: list[float]) -> Any:
    total = 0.0
    for value in values:
        total += value
        yield total


async def load(database: str) -> dict[str, Any]:
    await upgrade_event_store(database)
    await upgrade_gateway(database)
    rng = random.Random(20261201)
    words = vocabulary(rng)
    connection = await asyncpg.connect(asyncpg_dsn(database))
    started = time.perf_counter()
    lines_total = 0
    recorded = datetime(2026, 1, 1, tzinfo=UTC)
    try:
        if await connection.fetchval("SELECT count(*) FROM gw_search_pages") == PAGES:
            # A database loaded by an earlier run (RECTO_DATABASE_URL): the same seed made it.
            print("  reusing the pages already loaded", flush=True)
            return await _describe(connection, words, 0.0)
        await connection.execute("DROP INDEX IF EXISTS gw_search_lines_tsv")
        await connection.execute(
            "CREATE UNLOGGED TABLE staged (page_id uuid, line_no int, manuscript_id uuid, "
            "corpus_id uuid, text text, config text)"
        )
        for chunk in pages(rng, words):
            staged, registered = [], []
            for page_id, manuscript_id, corpus_id, config, lines in chunk:
                registered.append((page_id, manuscript_id, corpus_id, 2000, 3000))
                staged += [
                    (page_id, n, manuscript_id, corpus_id, text, config)
                    for n, text in enumerate(lines, start=1)
                ]
            await connection.copy_records_to_table(
                "gw_search_pages",
                records=registered,
                columns=["page_id", "manuscript_id", "corpus_id", "canvas_width", "canvas_height"],
            )
            await connection.copy_records_to_table("staged", records=staged)
            await connection.execute(
                """
                INSERT INTO gw_search_lines
                SELECT page_id, line_no, manuscript_id, corpus_id, 'l' || line_no, 'r1', text,
                       NULL, config, 100, 100 + 60 * line_no, 1800, 50, 2000, 3000, 2000, 3000,
                       $1, to_tsvector(('recto_' || config)::regconfig, recto_search_text(text))
                FROM staged
                """,
                recorded,
            )
            await connection.execute("TRUNCATE staged")
            lines_total += len(staged)
            print(f"  {chunk[-1][0].int:>7} pages, {lines_total:>9} lines", flush=True)
        await connection.execute("DROP TABLE staged")
        # Content Search asks the read model whether the caller may see the manuscript.
        await connection.execute(
            """
            INSERT INTO gw_manuscripts (manuscript_id, corpus_id, status, source_kind,
                                        created_at, formats)
            SELECT DISTINCT manuscript_id, corpus_id, 'exported', 'iiif', $1::timestamptz,
                   '{}'::jsonb
            FROM gw_search_pages
            """,
            recorded,
        )
        await connection.execute(
            "CREATE INDEX gw_search_lines_tsv ON gw_search_lines USING gin (tsv)"
        )
        await connection.execute(
            """
            INSERT INTO gw_search_terms (term, lines)
            SELECT word, count(*) FROM gw_search_lines l,
                unnest(tsvector_to_array(to_tsvector('recto_simple', recto_search_text(l.text))))
                AS word
            GROUP BY word
            """
        )
        await connection.execute("VACUUM ANALYZE gw_search_lines")
        await connection.execute("VACUUM ANALYZE gw_search_terms")
        return await _describe(connection, words, time.perf_counter() - started)
    finally:
        await connection.close()


async def _describe(
    connection: asyncpg.Connection, words: list[str], seconds: float
) -> dict[str, Any]:
    return {
        "pages": PAGES,
        "lines": await connection.fetchval("SELECT count(*) FROM gw_search_lines"),
        "terms": await connection.fetchval("SELECT count(*) FROM gw_search_terms"),
        "lines_table_size": await connection.fetchval(
            "SELECT pg_size_pretty(pg_total_relation_size('gw_search_lines'))"
        ),
        "load_seconds": round(seconds, 1),
        "rank_window": int(os.environ.get("RECTO_SEARCH_RANK_WINDOW", "500")),
        "words": words,
    }


def start_gateway(database: str, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "RECTO_DATABASE_URL": database,
        "RECTO_AUTH": "off",
        "RECTO_ARTIFACTS": tempfile.mkdtemp(prefix="recto-bench-artifacts-"),
    }
    env.pop("RECTO_NATS_URL", None)
    command = [sys.executable, "-m", "uvicorn", "--factory", "gateway.bootstrap:create_gateway_app"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "error"]
    return subprocess.Popen(command, env=env)


async def wait_ready(client: httpx.AsyncClient, deadline: float = 60.0) -> None:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        try:
            if (await client.get("/healthz")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.1)
    raise RuntimeError("the gateway did not start")


def representative(words: list[str]) -> list[tuple[str, str, dict[str, str]]]:
    """(name, path, params): words by frequency rank, phrases, typos, filters."""
    stop, common, middling, rare = words[3], words[50], words[400], words[30_000]
    typo = rare[:2] + ("x" if rare[2] != "x" else "y") + rare[3:]
    german = str(corpus_id(0))
    manuscript = str(manuscript_id(corpus_id(0), 7))
    return [
        ("rare word", "/v1/search", {"q": rare}),
        ("middling word", "/v1/search", {"q": middling}),
        ("common word", "/v1/search", {"q": common}),
        ("stop-word-like word (stress)", "/v1/search", {"q": stop}),
        ("two words", "/v1/search", {"q": f"{middling} {words[900]}"}),
        ("phrase", "/v1/search", {"q": f'"{middling} {words[600]}"'}),
        ("phrase of two stop words (stress)", "/v1/search", {"q": f'"{words[10]} {words[20]}"'}),
        ("one letter wrong", "/v1/search", {"q": typo}),
        ("common word, one corpus", "/v1/search", {"q": common, "corpus": german}),
        ("middling word, one manuscript", "/v1/search", {"q": middling, "manuscript": manuscript}),
        ("IIIF content search", f"/v1/manuscripts/{manuscript}/search", {"q": middling}),
    ]


async def measure(base: str, words: list[str]) -> list[dict[str, Any]]:
    results = []
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        await wait_ready(client)
        for name, path, params in representative(words):
            for _ in range(5):
                warm = await client.get(path, params=params)
            if warm.status_code != 200:
                raise RuntimeError(f"{name}: {warm.status_code} {warm.text}")
            body = warm.json()
            hits = body.get("total", body.get("partOf", {}).get("total"))
            latencies = []
            for _ in range(QUERIES):
                started = time.perf_counter()
                answer = await client.get(path, params=params)
                latencies.append((time.perf_counter() - started) * 1000)
                answer.raise_for_status()
            latencies.sort()
            results.append(
                {
                    "query": name,
                    "q": params["q"],
                    "hits": hits,
                    "p50_ms": round(statistics.median(latencies), 1),
                    "p95_ms": round(latencies[int(0.95 * (len(latencies) - 1))], 1),
                }
            )
    return results


def main() -> None:
    with servers() as (database, _):
        print(f"loading {PAGES} pages …", flush=True)
        loaded = asyncio.run(load(database))
        words = loaded.pop("words")
        port = _free_port()
        gateway = start_gateway(database, port)
        try:
            results = asyncio.run(measure(f"http://127.0.0.1:{port}", words))
        finally:
            gateway.terminate()
            gateway.wait(timeout=30)
    rows = [("query", "hits", "p50 / p95 ms")]
    rows += [(r["query"], str(r["hits"]), f"{r['p50_ms']} / {r['p95_ms']}") for r in results]
    print(table(rows))
    worst = max(r["p95_ms"] for r in results if "stress" not in r["query"])
    print(
        f"{loaded['lines']} lines, {loaded['terms']} terms, {loaded['lines_table_size']}; "
        f"worst p95 outside stress cases {worst} ms (goal ≤ 50 ms)"
    )
    path = write_results(
        "search", {**loaded, "queries_per_case": QUERIES, "goal_p95_ms": 50, "results": results}
    )
    print(f"results: {path}")


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


if __name__ == "__main__":
    main()
