"""Search over the ground-truth transcriptions of the shared corpora (German Fraktur, Old
French, Spanish): pages read by the exporter's own readers, exported as the pipeline exports
them, indexed by the gateway's projection and searched over HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest

from contracts import CorpusCreated, PageAnalysis, corpus_stream
from exporter.formats.alto_reader import read_alto
from exporter.formats.page_reader import read_page
from gateway.adapters.api_keys import create_api_key
from gateway.settings import GatewaySettings
from gateway.testing import search_caught_up, searchable_page, served_gateway
from infra.eventstore import PostgresEventStore
from infra.settings import Settings
from infra.testing.databases import clone_database, drop_database, with_database
from recto.commands import rebuild_projections

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

# Ground truth by corpus: file, reader and the languages the analyzer would have been given.
GERMAN = {
    "dta-bebel_frau_1879_0146/GT-PAGE/bebel_frau_1879_0146.xml": "page",
    "dta-clauren_mimil_1815_0023/GT-PAGE/clauren_mimil_1815_0023.xml": "page",
    "dta-herder_geschichte03_1787_0007/GT-PAGE/herder_geschichte03_1787_0007.xml": "page",
    "dta-laube_europa0202_1837_0105/GT-PAGE/laube_europa0202_1837_0105.xml": "page",
    "ocrd-kant_aufklaerung_1784/OCR-D-GT-PAGE/PAGE_0017_PAGE.xml": "page",
    "ocrd-kant_aufklaerung_1784/OCR-D-GT-PAGE/PAGE_0020_PAGE.xml": "page",
}
FRENCH = {
    "cremma-bnf_arsenal_3516-imageDuMonde-btv1b55000507q_f327/btv1b55000507q_f327.xml": "alto",
    "cremma-bnf_fr_1728-btv1b84473026_f25/btv1b84473026_f25.xml": "alto",
    "cremma-vaticane_reg_lat_1616-otinel-reg-lat-1616_114v/reg-lat-1616_114v.xml": "alto",
}
SPANISH = {"kraken-transkribus-170025120000003_0074/170025120000003,0074.xml": "page"}
KANT = "ocrd-kant_aufklaerung_1784/OCR-D-GT-PAGE/PAGE_0017_PAGE.xml"


def read(corpora: Path, relative: str, kind: str, languages: list[str]) -> PageAnalysis:
    raw = (corpora / "ocr-gt" / relative).read_bytes()
    analysis = read_alto(raw) if kind == "alto" else read_page(raw)
    return analysis.model_copy(update={"languages": languages})


def misread(analysis: PageAnalysis, word: str, as_read: str) -> PageAnalysis:
    """The page as an OCR engine might read it: one word with one letter wrong throughout."""
    regions = [
        region.model_copy(
            update={
                "lines": [
                    line.model_copy(update={"text": line.text.replace(word, as_read)})
                    for line in region.lines
                ]
            }
        )
        for region in analysis.regions
    ]
    return analysis.model_copy(update={"regions": regions})


@dataclass
class Indexed:
    url: str
    settings: Settings
    admin: str
    french_reader: str
    corpora: dict[str, UUID]
    canvases: dict[UUID, tuple[int, int]]

    def client(self, key: str | None = None) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers={"X-API-Key": key or self.admin}, timeout=30)

    def search(self, q: str, key: str | None = None, **params: Any) -> dict[str, Any]:
        with self.client(key) as client:
            answer = client.get("/v1/search", params={"q": q, "limit": 100, **params})
        assert answer.status_code == 200, answer.text
        found: dict[str, Any] = answer.json()
        return found


async def _index(settings: Settings, corpora: Path) -> Indexed:
    from infra.artifacts import FileArtifactStore

    assert settings.database_url is not None
    store = await PostgresEventStore.connect(settings.database_url)
    artifacts = FileArtifactStore(settings.artifacts)
    ids = {name: uuid4() for name in ("german", "french", "spanish", "ocr")}
    canvases: dict[UUID, tuple[int, int]] = {}
    try:
        pages: list[tuple[str, PageAnalysis]] = [
            *[("german", read(corpora, f, k, ["deu", "frk"])) for f, k in GERMAN.items()],
            *[("french", read(corpora, f, k, ["fro"])) for f, k in FRENCH.items()],
            *[("spanish", read(corpora, f, k, ["spa"])) for f, k in SPANISH.items()],
            (
                "ocr",
                misread(read(corpora, KANT, "page", ["deu"]), "Aufklaͤrung", "Aufklaͤruug"),
            ),
        ]
        for index, (corpus, analysis) in enumerate(pages):
            # German canvases are 1000 wide, as many IIIF servers normalize them.
            image = (analysis.image.width, analysis.image.height)
            canvas = (1000, round(1000 * image[1] / image[0])) if corpus == "german" else image
            page_id = await searchable_page(
                store,
                artifacts,
                ids[corpus],
                uuid4(),
                index,
                analysis,
                canvas=canvas if corpus == "german" else None,
            )
            canvases[page_id] = canvas
        await search_caught_up(store.pool)
        # A key's grants name corpora that exist: their streams say so.
        for name, corpus_id in ids.items():
            created = CorpusCreated(corpus_id=corpus_id, slug=name, title=name, profile="default")
            await store.append(corpus_stream(corpus_id), [created])
        admin = await create_api_key(store.pool, ["read"])
        french = await create_api_key(store.pool, ["read"], [ids["french"]])
    finally:
        await store.close()
    return Indexed("", settings, admin, french, ids, canvases)


@pytest.fixture(scope="module")
def indexed(
    postgres_admin_url: str, template_database: str, corpora: Path, tmp_path_factory: Any
) -> Iterator[Indexed]:
    name = clone_database(postgres_admin_url, template_database)
    settings = Settings(
        database_url=with_database(postgres_admin_url, name),
        nats_url=None,
        artifacts=tmp_path_factory.mktemp("artifacts"),
    )
    try:
        with served_gateway(settings, GatewaySettings(auth="on")) as url:
            made = asyncio.run(_index(settings, corpora))
            made.url = url
            yield made
    finally:
        drop_database(postgres_admin_url, name)


def _texts(found: dict[str, Any]) -> list[str]:
    return [item["text"] for item in found["items"]]


def test_case_accents_and_historical_letters_do_not_matter(indexed: Indexed) -> None:
    # Kant's "Aufklaͤrung" (long s, e above the a) under any spelling a reader might type.
    spellings = ["Aufklärung", "aufklarung", "AUFKLÄRUNG", "Aufklaͤrung"]
    found = {q: indexed.search(q, corpus=indexed.corpora["german"]) for q in spellings}
    first = _texts(found["Aufklärung"])
    assert len(first) == 6
    # One line lost its drop cap to a region of its own: "ufklaͤrung" is one letter off.
    assert all("ufklaͤrung" in text for text in first)
    for q in spellings[1:]:
        assert _texts(found[q]) == first, q
    # Medieval letters: dotless i and abbreviation marks fold away.
    assert _texts(indexed.search("esmaiant")) == ["D ıt la pucele ml̃t mẽ voıs esmaıant"]
    assert _texts(indexed.search("BESCHAFTIGUNG"))[0].startswith("auch keine angenehmere")
    # Stemming in the page's language: "Gärten" finds "Garten-".
    assert any("Garten-" in t for t in _texts(indexed.search("Gärten")))


def test_one_wrong_letter_still_finds_and_the_exact_word_ranks_first(
    indexed: Indexed, corpora: Path
) -> None:
    # A query with a letter missing finds "Gartenwirthschaft".
    assert len(_texts(indexed.search("Gartenwirtschaft"))) == 2
    # An OCR misreading in the pages ("Aufklaͤruug") is found by the right word, ranked after
    # every line that has it right.
    found = indexed.search("Aufklärung")
    right = [i for i, item in enumerate(found["items"]) if "Aufklaͤrung" in item["text"]]
    near = [i for i, item in enumerate(found["items"]) if i not in right]
    assert max(right) < min(near)
    misread = [found["items"][i] for i in near if "Aufklaͤruug" in found["items"][i]["text"]]
    assert {item["corpus_id"] for item in misread} == {str(indexed.corpora["ocr"])}
    kant = read(corpora, KANT, "page", ["deu"])
    assert len(misread) == sum("Aufklaͤrung" in line.text for line in kant.lines()) == 2
    scores = [item["score"] for item in found["items"]]
    assert scores == sorted(scores, reverse=True)
    # The Spanish page's "expressadas", searched with one letter wrong.
    assert any("expressadas" in t for t in _texts(indexed.search("expresadas")))


def test_snippets_mark_the_matched_words(indexed: Indexed) -> None:
    found = indexed.search("Aufklärung", corpus=indexed.corpora["german"])
    for item in found["items"]:
        assert item["matches"], item
        assert all("ufklärung" in m.lower() for m in item["matches"]), item["matches"]
        assert "<mark>" in item["snippet"]
    found = indexed.search("pucele")
    # Marks that compose with no letter (the tilde over "l") are left out of the snippet.
    assert found["items"][0]["snippet"] == "D ıt la <mark>pucele</mark> mlt mẽ voıs esmaıant"


def test_boxes_lie_inside_their_image_and_canvas(indexed: Indexed) -> None:
    checked = 0
    for q in ("Aufklärung", "Menschen", "einsam", "pucele", "Garten", "villa", "hijo", "Jungfer"):
        for item in indexed.search(q)["items"]:
            box, image, scaled = item["box"], item["image"], item["canvas_box"]
            assert box["x"] >= 0, item
            assert box["x"] + box["w"] <= image["w"], item
            assert box["y"] >= 0, item
            assert box["y"] + box["h"] <= image["h"], item
            width, height = indexed.canvases[UUID(item["page_id"])]
            assert 0 <= scaled["x"] < scaled["x"] + scaled["w"] <= width, item
            assert 0 <= scaled["y"] < scaled["y"] + scaled["h"] <= height, item
            # The canvas box is the master box scaled by the canvas's width.
            assert abs(scaled["x"] - box["x"] * width / image["w"]) <= 1
            checked += 1
    assert checked > 20


def test_a_corpus_scoped_key_sees_no_other_corpus(indexed: Indexed) -> None:
    assert indexed.search("Aufklärung", key=indexed.french_reader)["total"] == 0
    assert indexed.search("und", key=indexed.french_reader)["total"] == 0
    found = indexed.search("pucele", key=indexed.french_reader)
    assert [item["corpus_id"] for item in found["items"]] == [str(indexed.corpora["french"])]


def test_rebuilding_every_projection_reproduces_the_exact_results(indexed: Indexed) -> None:
    queries = ["Aufklärung", "und", "einsam", "pucele", "Gartenwirtschaft", '"der Aufklärung"']
    before = {q: indexed.search(q) for q in queries}
    # What `recto projections rebuild` runs, while the gateway keeps serving.
    rebuilt = asyncio.run(rebuild_projections(indexed.settings))
    assert rebuilt["gateway-search"] > 0

    async def caught_up() -> None:
        assert indexed.settings.database_url is not None
        store = await PostgresEventStore.connect(indexed.settings.database_url)
        try:
            await search_caught_up(store.pool)
        finally:
            await store.close()

    asyncio.run(caught_up())
    assert {q: indexed.search(q) for q in queries} == before
