"""IIIF Content Search 2.0 (and 1.0) within a manuscript, checked against the specification's
structure rules and iiif-prezi3's models of annotation pages."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit
from uuid import UUID

import asyncpg
import httpx
import iiif_prezi3
import pytest

from gateway.testing import analysis, new_manuscript, search_caught_up, searchable_page
from infra.artifacts import FileArtifactStore
from infra.eventstore import PostgresEventStore

pytestmark = pytest.mark.integration

PUBLIC = "http://127.0.0.1:8000"
"""The gateway's default public URL: every id in the answers starts with it."""
XYWH = re.compile(r"^(?P<canvas>.+)#xywh=(\d+),(\d+),(\d+),(\d+)$")


@pytest.fixture
async def book(
    client: httpx.AsyncClient, gateway: Any, event_store: PostgresEventStore, pool: asyncpg.Pool
) -> dict[str, Any]:
    """Three pages: 'Ritter' on five lines of page 1 and 2; page 2 has a canvas twice the
    image and the source's canvas id; a second manuscript holds the word too."""
    artifacts = FileArtifactStore(gateway.artifacts)
    corpus, manuscript = await new_manuscript(client, "epen")
    _, other = await new_manuscript(client, "andere")
    first = await searchable_page(
        event_store,
        artifacts,
        corpus,
        manuscript,
        0,
        analysis(["Der Ritter ritt", "ein Ritter und noch ein Ritter", "nichts"], ["deu"]),
    )
    second = await searchable_page(
        event_store,
        artifacts,
        corpus,
        manuscript,
        1,
        analysis(["Ritter", "Ritters Pferd", "Die Ritterschaft"], ["deu"], width=500, height=750),
        canvas=(1000, 1500),
        canvas_id="https://iiif.example.org/epen/canvas/2",
    )
    await searchable_page(
        event_store, artifacts, corpus, other, 0, analysis(["Ritter anderswo"], ["deu"])
    )
    await search_caught_up(pool)
    return {"manuscript": manuscript, "pages": [first, second]}


def _validate_annotation_page(answer: dict[str, Any]) -> None:
    """The answer and its highlights are annotation pages by iiif-prezi3's models."""
    body = {k: v for k, v in answer.items() if k != "@context"}
    iiif_prezi3.AnnotationPage(**body)
    for extra in answer.get("annotations", []):
        iiif_prezi3.AnnotationPage(**extra)


async def test_a_search_answers_an_annotation_page_of_lines_and_highlights(
    client: httpx.AsyncClient, book: dict[str, Any]
) -> None:
    manuscript = book["manuscript"]
    response = await client.get(
        f"/v1/manuscripts/{manuscript}/search", params={"q": "ritter", "motivation": "painting"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/ld+json")
    answer = response.json()
    _validate_annotation_page(answer)

    # Required by the specification: context, id, type; the ignored parameter named.
    assert answer["@context"] == "http://iiif.io/api/search/2/context.json"
    assert answer["type"] == "AnnotationPage"
    assert answer["id"].startswith(f"{PUBLIC}/v1/manuscripts/{manuscript}/search?")
    assert answer["ignored"] == ["motivation"]
    assert answer["partOf"]["type"] == "AnnotationCollection"
    assert answer["partOf"]["total"] == len(answer["items"]) == 4, "only this manuscript"
    assert "next" not in answer

    # Items: the lines, with the ids of the exported annotations, on their canvases.
    canvases = {
        f"{PUBLIC}/v1/pages/{book['pages'][0]}/canvas": (1000, 1500),
        "https://iiif.example.org/epen/canvas/2": (1000, 1500),
    }
    for item in answer["items"]:
        assert item["type"] == "Annotation"
        assert item["motivation"] == "supplementing"
        assert item["body"]["type"] == "TextualBody"
        assert re.fullmatch(rf"{PUBLIC}/v1/pages/[0-9a-f-]+/annotations/\d+", item["id"])
        target = XYWH.match(item["target"])
        assert target is not None, item["target"]
        x, y, w, h = (int(v) for v in target.groups()[1:])
        width, height = canvases[target["canvas"]]
        assert 0 <= x < x + w <= width
        assert 0 <= y < y + h <= height
    second = [i for i in answer["items"] if i["target"].startswith("https://iiif.example.org")]
    # The second page's image is half its canvas: "Ritter" at (100, 100) is at (200, 200).
    assert second[0]["target"].endswith("#xywh=200,200,144,80")

    # Highlights: one per matched word, quoting it inside its line.
    highlights = answer["annotations"][0]["items"]
    ids = {item["id"] for item in answer["items"]}
    exacts = []
    for highlight in highlights:
        assert highlight["motivation"] == "highlighting"
        target = highlight["target"]
        assert target["type"] == "SpecificResource"
        assert target["source"] in ids
        (quote,) = target["selector"]
        assert quote["type"] == "TextQuoteSelector"
        line = next(i for i in answer["items"] if i["id"] == target["source"])["body"]["value"]
        assert quote.get("prefix", "") + quote["exact"] + quote.get("suffix", "") in line
        exacts.append(quote["exact"])
    # German stems: "ritt" (rode) shares the stem of "Ritter" (knight).
    assert sorted(exacts) == ["Ritter"] * 4 + ["Ritters", "ritt"]


async def test_pages_link_to_each_other_until_every_hit_is_seen(
    client: httpx.AsyncClient, gateway: Any, start_gateway: Any, keys: Any, book: dict[str, Any]
) -> None:
    small = start_gateway(search_page_size=2)
    seen: list[str] = []
    async with httpx.AsyncClient(
        base_url=small.url, headers={"X-API-Key": keys.read}, timeout=10
    ) as reader:
        path: str | None = f"/v1/manuscripts/{book['manuscript']}/search?q=ritter"
        while path:
            answer = (await reader.get(path)).json()
            _validate_annotation_page(answer)
            assert answer["partOf"]["total"] == 4
            assert answer["partOf"]["last"]["id"].endswith("page=1")
            seen += [item["id"] for item in answer["items"]]
            following = answer.get("next", {}).get("id")
            path = urlsplit(following).path + "?" + urlsplit(following).query if following else None
    assert len(seen) == len(set(seen)) == 4


async def test_search_1_for_older_viewers_and_autocomplete(
    client: httpx.AsyncClient, book: dict[str, Any]
) -> None:
    manuscript: UUID = book["manuscript"]
    v1 = (await client.get(f"/v1/manuscripts/{manuscript}/search/v1?q=ritter")).json()
    assert v1["@type"] == "sc:AnnotationList"
    assert v1["within"]["total"] == len(v1["resources"]) == 4
    on = {resource["@id"]: resource["on"] for resource in v1["resources"]}
    for hit in v1["hits"]:
        assert hit["@type"] == "search:Hit"
        assert hit["annotations"][0] in on
        assert hit["match"].startswith("Ritter")

    terms = (await client.get(f"/v1/manuscripts/{manuscript}/autocomplete?q=Rit")).json()
    assert terms["type"] == "TermPage"
    assert terms["@context"] == "http://iiif.io/api/search/2/context.json"
    values = {term["value"]: term["total"] for term in terms["items"]}
    assert values == {"ritter": 3, "ritt": 1, "ritters": 1, "ritterschaft": 1}, "this manuscript"
    search = terms["items"][0]["service"][0]
    assert search["type"] == "SearchService2"
    assert parse_qs(urlsplit(search["id"]).query)["q"] == ["ritter"]
    older = (await client.get(f"/v1/manuscripts/{manuscript}/autocomplete/v1?q=ritt")).json()
    assert {t["match"] for t in older["terms"]} == set(values)


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/search?q=", 422),
        ("/search?q=%22open", 422),
        ("/search?q=ritter&page=-1", 422),
        ("/autocomplete?q=%00", 422),
        ("/search/v1", 422),
    ],
)
async def test_malformed_content_searches_are_problems(
    client: httpx.AsyncClient, book: dict[str, Any], path: str, status: int
) -> None:
    answer = await client.get(f"/v1/manuscripts/{book['manuscript']}{path}")
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"


async def test_a_viewer_on_another_origin_may_read_iiif_answers(
    client: httpx.AsyncClient, book: dict[str, Any]
) -> None:
    url = f"/v1/manuscripts/{book['manuscript']}/search?q=ritter"
    origin = {"Origin": "http://viewer.example"}
    answer = await client.get(url, headers=origin)
    assert answer.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in answer.headers
    preflight = await client.options(
        url,
        headers={
            **origin,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "x-api-key",
        },
    )
    assert preflight.status_code == 200
    assert "x-api-key" in preflight.headers["access-control-allow-headers"].lower()
    # Commands stay same-origin.
    refused = await client.options(
        "/v1/corpora", headers={**origin, "Access-Control-Request-Method": "POST"}
    )
    assert refused.status_code == 400
