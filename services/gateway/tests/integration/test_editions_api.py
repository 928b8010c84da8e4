"""Corrections, status, candidates, versions, diffs and `as_of` over HTTP, on the real gateway.

The exporter is not running here: these tests are about what the gateway records and reads
(exports after corrections are tested across services in `tests/e2e/test_editions.py`).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import httpx
import pytest

from contracts import (
    Box,
    CorpusCreated,
    EngineInfo,
    JobCreated,
    Line,
    ManuscriptImported,
    Metadata,
    PageAnalysis,
    PageAnalyzed,
    PageImage,
    PageRegistered,
    Plan,
    Region,
    corpus_stream,
    job_stream,
    manuscript_stream,
    page_stream,
)
from gateway.adapters.api_keys import create_api_key
from infra.artifacts import FileArtifactStore
from infra.eventstore import PostgresEventStore
from infra.testing.pipeline import eventually

pytestmark = pytest.mark.integration
PROBLEM = "application/problem+json"


def machine_analysis(texts: tuple[str, str, str], engine: str = "tesseract") -> PageAnalysis:
    lines = [
        Line(id=f"l{n}", text=text, bbox=Box(x=100, y=100 + 60 * n, width=600, height=40))
        for n, text in enumerate(texts, start=1)
    ]
    return PageAnalysis(
        image=PageImage(width=1000, height=1500),
        regions=[
            Region(id="r1", bbox=Box(x=90, y=150, width=620, height=160), lines=lines[:2]),
            Region(id="r2", bbox=Box(x=90, y=270, width=620, height=60), lines=lines[2:]),
        ],
        reading_order=["r1", "r2"],
        engine=EngineInfo(name=engine, version="5"),
        created_at=datetime(2025, 3, 1, tzinfo=UTC),
    )


FIRST = ("In principio erat verbum", "et verbum erat apud Deum", "et Deus erat verbum")


async def analysed(
    store: PostgresEventStore, artifacts: FileArtifactStore, page_id: UUID, texts: tuple[str, ...]
) -> None:
    analysis = machine_analysis(texts)  # type: ignore[arg-type]
    ref = artifacts.put(analysis.model_dump_json().encode(), PageAnalysis.media_type)
    event = PageAnalyzed(page_id=page_id, analysis=ref, engine="tesseract", duration_ms=3)
    await store.append(page_stream(page_id), [event], metadata=Metadata(actor="analyzer"))


@pytest.fixture
async def page(
    gateway: Any, client: httpx.AsyncClient, event_store: PostgresEventStore
) -> dict[str, Any]:
    """A corpus with one analysed page, visible through the gateway."""
    corpus_id, manuscript_id, job_id, page_id = uuid4(), uuid4(), uuid4(), uuid4()
    slug = f"c{corpus_id.hex[:8]}"
    await event_store.append(
        corpus_stream(corpus_id),
        [CorpusCreated(corpus_id=corpus_id, slug=slug, title="C", profile="default")],
    )
    await event_store.append(
        job_stream(job_id), [JobCreated(job_id=job_id, kind="import", plan=Plan())]
    )
    await event_store.append(
        manuscript_stream(manuscript_id),
        [ManuscriptImported(manuscript_id=manuscript_id, corpus_id=corpus_id, page_count=1)],
    )
    registered = PageRegistered(
        page_id=page_id, manuscript_id=manuscript_id, corpus_id=corpus_id, index=0
    )
    await event_store.append(page_stream(page_id), [registered])
    artifacts = FileArtifactStore(gateway.artifacts)
    await analysed(event_store, artifacts, page_id, FIRST)

    async def visible() -> bool:
        return (await client.get(f"/v1/pages/{page_id}")).status_code == 200

    await eventually(visible, timeout=20)
    return {
        "id": page_id,
        "corpus": corpus_id,
        "artifacts": artifacts,
        "path": f"/v1/pages/{page_id}",
    }


async def transcription(client: httpx.AsyncClient, path: str, **params: Any) -> dict[str, Any]:
    response = await client.get(f"{path}/transcription", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def texts(body: dict[str, Any]) -> list[str]:
    return [line["text"] for region in body["analysis"]["regions"] for line in region["lines"]]


def edit(line_id: str, text: str) -> dict[str, Any]:
    return {"op": "edit_line_text", "line_id": line_id, "text": text}


async def test_a_correction_becomes_the_current_text_and_a_version(
    client: httpx.AsyncClient, page: dict[str, Any]
) -> None:
    path = page["path"]
    before = await transcription(client, path)
    assert (before["version"], before["status"], texts(before)) == (2, "machine_draft", list(FIRST))

    response = await client.post(
        f"{path}/corrections",
        json={
            "expected_version": before["version"],
            "reason": "Verbum is a name",
            "operations": [edit("l1", "In principio erat Verbum")],
        },
    )
    assert response.status_code == 201, response.text
    recorded = response.json()
    assert (recorded["type"], recorded["version"]) == ("page.corrected", 3)
    assert response.headers["location"] == f"{path}/transcription"

    after = await transcription(client, path)
    assert texts(after)[0] == "In principio erat Verbum"
    assert (after["version"], after["text_version"]) == (3, 3)
    (revision,) = after["analysis"]["revisions"]
    assert (revision["kind"], revision["version"], revision["reason"]) == (
        "correction",
        3,
        "Verbum is a name",
    )
    # The actor is the key that wrote it, in the event as in its metadata.
    history = (await client.get(f"{path}/history")).json()["events"]
    corrected = history[-1]
    assert corrected["data"]["actor"] == corrected["metadata"]["actor"] == revision["actor"]
    assert corrected["data"]["against_version"] == 2

    versions = (await client.get(f"{path}/versions")).json()["items"]
    assert [(v["version"], v["type"], v["became"]) for v in versions] == [
        (2, "page.analyzed", "current"),
        (3, "page.corrected", "current"),
    ]
    assert versions[0]["cer"] is None
    # One letter of 24+24+19 characters, the three lines joined by line breaks (spaces).
    assert versions[1]["cer"] == pytest.approx(1 / 69)
    assert versions[1]["summary"] == "edit_line_text: Verbum is a name"

    diff = (await client.get(f"{path}/diff", params={"from": 2, "to": 3})).json()
    assert diff["cer"] == pytest.approx(1 / 69)
    assert diff["unchanged"] == 2
    (line,) = diff["lines"]
    assert (line["change"], line["before_text"], line["after_text"]) == (
        "changed",
        "In principio erat verbum",
        "In principio erat Verbum",
    )
    assert line["cer"] == pytest.approx(1 / 24)

    # The page's analysis artifact is the corrected transcription, and `as_of` the earlier one.
    current = (await client.get(f"{path}/analysis")).json()
    assert current["regions"][0]["lines"][0]["text"] == "In principio erat Verbum"
    earlier = await transcription(client, path, as_of=versions[0]["position"])
    assert texts(earlier) == list(FIRST)
    assert earlier["version"] == 2
    at_time = await transcription(client, path, as_of=versions[1]["recorded_at"])
    assert texts(at_time)[0] == "In principio erat Verbum"


async def test_two_corrections_against_one_version_exactly_one_conflicts(
    client: httpx.AsyncClient, page: dict[str, Any], event_store: PostgresEventStore
) -> None:
    path = page["path"]
    version = (await transcription(client, path))["version"]

    async def correct(text: str) -> httpx.Response:
        return await client.post(
            f"{path}/corrections",
            json={"expected_version": version, "operations": [edit("l2", text)]},
        )

    for attempt in range(5):
        responses = await asyncio.gather(*(correct(f"et Verbum {attempt} {n}") for n in range(2)))
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [201, 409], [r.text for r in responses]
        conflict = next(r for r in responses if r.status_code == 409)
        problem = conflict.json()
        assert conflict.headers["content-type"] == PROBLEM
        assert problem["current_version"] == version + 1
        assert "changed at version" in problem["detail"]
        version += 1
    # Five rounds, five corrections recorded: the losers left nothing behind.
    stream = await event_store.read_stream(page_stream(page["id"]))
    assert [e.type for e in stream].count("page.corrected") == 5


async def test_bad_corrections_are_precise_problems_and_record_nothing(
    client: httpx.AsyncClient,
    page: dict[str, Any],
    event_store: PostgresEventStore,
    gateway: Any,
    pool: asyncpg.Pool,
) -> None:
    path = page["path"]
    version = (await transcription(client, path))["version"]
    # Keys first (their creation is recorded): read-only, and limited to another corpus.
    reader = await create_api_key(pool, ["read"])
    other = await client.post("/v1/corpora", json={"slug": "other", "title": "Other"})
    elsewhere = await create_api_key(pool, ["write"], corpora=[UUID(other.json()["id"])])

    async def all_committed_readable() -> bool:
        # An open transaction elsewhere (a projection batch) may briefly hold the read horizon
        # below what was just committed: count once everything committed can be read.
        committed = await pool.fetchval("SELECT count(*) FROM events")
        return len(await event_store.read_all(limit=10_000)) == committed

    await eventually(all_committed_readable)
    before = len(await event_store.read_all(limit=10_000))

    def body(*operations: dict[str, Any], expected: int = version) -> dict[str, Any]:
        return {"expected_version": expected, "operations": list(operations)}

    catalogue: list[tuple[dict[str, Any] | bytes, int, str]] = [
        (body(edit("l9", "x")), 422, "unknown line 'l9'"),
        (body({"op": "delete_region", "region_id": "r7"}), 422, "unknown region 'r7'"),
        (
            body(
                {
                    "op": "set_line_geometry",
                    "line_id": "l1",
                    "bbox": {"x": 900, "y": 10, "width": 200, "height": 40},
                }
            ),
            422,
            "reaches outside the 1000×1500 page",
        ),
        (
            body(
                {
                    "op": "set_line_geometry",
                    "line_id": "l1",
                    "polygon": [[100, 100], [700, 140], [700, 100], [100, 140]],
                }
            ),
            422,
            "the polygon crosses itself",
        ),
        (body(edit("l1", "tab\there")), 422, "control character U+0009 at offset 3"),
        (body(edit("l1", "x" * 1_000_001)), 422, "over the limit of 10000"),
        (body(), 422, "the request does not fit its schema"),
        (body(edit("l1", "fine"), expected=version - 1), 409, "changed at version"),
        (body(edit("l1", "fine"), expected=version + 5), 409, "does not exist yet"),
        (
            b'{"expected_version": 2, "operations": [{"op": "edit_line_text", "line_id": "l1", '
            b'"text": "caf\xe9"}]}',
            422,
            "not valid UTF-8",
        ),
        (
            b'{"expected_version": 2, "operations": [{"op": "edit_line_text", "line_id": "l1", '
            b'"text": "half \\ud800"}]}',
            422,
            "lone surrogates",
        ),
        (
            b'{"expected_version": 2, "reason": "\\udc80", "operations": [{"op": '
            b'"edit_line_text", "line_id": "l1", "text": "x"}]}',
            422,
            "lone surrogates",
        ),
        (
            b'{"expected_version": 2, "operations": [{"op": "add_line", "region_id": "r1", '
            b'"line_id": "x\\ud800", "bbox": {"x": 1, "y": 1, "width": 5, "height": 5}}]}',
            422,
            "lone surrogates",
        ),
    ]
    for sent, status, detail in catalogue:
        if isinstance(sent, bytes):
            response = await client.post(
                f"{path}/corrections", content=sent, headers={"content-type": "application/json"}
            )
        else:
            response = await client.post(f"{path}/corrections", json=sent)
        assert response.status_code == status, (sent, response.text)
        assert response.headers["content-type"] == PROBLEM
        problem = response.json()
        assert detail in (problem["detail"] + " ".join(map(str, problem.get("errors", [])))), (
            problem
        )

    for key, status, detail in (
        (reader, 403, "lacks the 'write' scope"),
        (elsewhere, 403, "limited to other corpora"),
    ):
        response = await client.post(
            f"{path}/corrections", json=body(edit("l1", "fine")), headers={"X-API-Key": key}
        )
        assert (response.status_code, detail in response.json()["detail"]) == (status, True)
    unknown = await client.post(f"/v1/pages/{uuid4()}/corrections", json=body(edit("l1", "x")))
    assert unknown.status_code == 404

    # `as_of` before the page existed, and one that is not a point in time.
    first_position = (await event_store.read_stream(page_stream(page["id"])))[0].position
    too_early = await client.get(f"{path}/transcription", params={"as_of": first_position - 1})
    assert too_early.status_code == 404
    assert "did not exist yet at position" in too_early.json()["detail"]
    old = await client.get(f"{path}/alto", params={"as_of": "1999-01-01T00:00:00Z"})
    assert (old.status_code, "did not exist yet" in old.json()["detail"]) == (404, True)
    for malformed in ("yesterday", "-5", "2025-13-45"):
        response = await client.get(f"{path}/transcription", params={"as_of": malformed})
        assert response.status_code == 422
        assert "as_of must be a position" in response.json()["detail"]

    assert len(await event_store.read_all(limit=10_000)) == before


async def test_status_moves_one_allowed_step_at_a_time(
    client: httpx.AsyncClient, page: dict[str, Any]
) -> None:
    path = page["path"]
    version = (await transcription(client, path))["version"]
    skipped = await client.post(
        f"{path}/status", json={"expected_version": version, "status": "published"}
    )
    assert skipped.status_code == 409
    assert "can move to needs_review, not to published" in skipped.json()["detail"]
    moved = await client.post(
        f"{path}/status",
        json={"expected_version": version, "status": "needs_review", "reason": "first pass"},
    )
    assert moved.status_code == 201, moved.text
    # A status judged against an older text or status is stale.
    stale = await client.post(
        f"{path}/status", json={"expected_version": version, "status": "reviewed"}
    )
    assert (stale.status_code, stale.json()["current_version"]) == (409, version + 1)
    reviewed = await client.post(
        f"{path}/status", json={"expected_version": version + 1, "status": "reviewed"}
    )
    assert reviewed.status_code == 201
    body = await transcription(client, path)
    assert (body["status"], body["status_version"]) == ("reviewed", version + 2)
    versions = (await client.get(f"{path}/versions")).json()["items"]
    assert [v["summary"] for v in versions[1:]] == [
        "machine_draft → needs_review: first pass",
        "needs_review → reviewed",
    ]


async def test_a_newer_machine_result_waits_as_a_candidate(
    client: httpx.AsyncClient, page: dict[str, Any], event_store: PostgresEventStore
) -> None:
    path = page["path"]
    version = (await transcription(client, path))["version"]
    corrected = await client.post(
        f"{path}/corrections",
        json={"expected_version": version, "operations": [edit("l1", "In principio erat Verbum")]},
    )
    assert corrected.status_code == 201
    # The analyzer runs again and reads two lines differently.
    await analysed(
        event_store,
        page["artifacts"],
        page["id"],
        ("In principio erat verbum", "et verbum erat apud Dominum", "et Deus erat verbum!"),
    )
    body = await transcription(client, path)
    assert texts(body)[0] == "In principio erat Verbum"  # the human's text stays
    (candidate,) = (await client.get(f"{path}/candidates")).json()["items"]
    assert candidate["id"] == body["version"]
    changes = {line["after_id"]: line for line in candidate["diff"]["lines"]}
    assert set(changes) == {"l1", "l2", "l3"}
    assert changes["l2"]["after_text"] == "et verbum erat apud Dominum"

    # Adopt one line of it, then, judged against that, the rest is still on offer.
    adopted = await client.post(
        f"{path}/candidates/{candidate['id']}/adopt",
        json={"expected_version": body["version"], "lines": ["l2"]},
    )
    assert adopted.status_code == 201, adopted.text
    now = await transcription(client, path)
    assert texts(now) == ["In principio erat Verbum", "et verbum erat apud Dominum", FIRST[2]]
    assert [c["id"] for c in now["candidates"]] == [candidate["id"]]
    unknown = await client.post(
        f"{path}/candidates/{candidate['id']}/adopt",
        json={"expected_version": now["version"], "lines": ["l99"]},
    )
    assert (unknown.status_code, unknown.json()["detail"]) == (
        422,
        "the candidate has no line 'l99'",
    )
    whole = await client.post(
        f"{path}/candidates/{candidate['id']}/adopt", json={"expected_version": now["version"]}
    )
    assert whole.status_code == 201
    final = await transcription(client, path)
    assert texts(final)[2] == "et Deus erat verbum!"
    assert final["candidates"] == []
    assert [r["kind"] for r in final["analysis"]["revisions"]] == [
        "correction",
        "adoption",
        "adoption",
    ]
    gone = await client.post(
        f"{path}/candidates/{candidate['id']}/adopt", json={"expected_version": final["version"]}
    )
    assert gone.status_code == 404


async def test_an_import_request_is_checked_and_recorded(
    client: httpx.AsyncClient, page: dict[str, Any], event_store: PostgresEventStore
) -> None:
    path = page["path"]
    page_xml = (
        b'<?xml version="1.0" encoding="UTF-8"?>\n<PcGts xmlns="http://schema.primaresearch.org/'
        b'PAGE/gts/pagecontent/2019-07-15"><Page imageFilename="f.jpg" imageWidth="10" '
        b'imageHeight="10"/></PcGts>'
    )
    accepted = await client.post(
        f"{path}/transcription", content=page_xml, headers={"content-type": "application/xml"}
    )
    assert accepted.status_code == 202, accepted.text
    body = accepted.json()
    assert body["state"] == "pending"
    assert accepted.headers["location"] == body["links"]["self"]
    followed = (await client.get(body["links"]["self"])).json()
    assert (followed["state"], followed["requested_version"]) == ("pending", 3)

    count = len(await event_store.read_stream(page_stream(page["id"])))
    for content, status, detail in (
        (b"<html><body/></html>", 415, "neither PAGE"),
        (b"\x89PNG\r\n\x1a\n", 422, "not well-formed XML"),
        (b'<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>', 422, "DOCTYPE"),
        (page_xml.replace(b"f.jpg", b"f\xff.jpg"), 422, "not well-formed XML"),
    ):
        refused = await client.post(
            f"{path}/transcription", content=content, headers={"content-type": "application/xml"}
        )
        assert refused.status_code == status, refused.text
        assert detail in refused.json()["detail"]
    multipart = await client.post(
        f"{path}/transcription",
        files={"file": ("f.xml", page_xml, "application/xml")},
        params={"expected_version": 1},
    )
    assert multipart.status_code == 409
    assert len(await event_store.read_stream(page_stream(page["id"]))) == count
