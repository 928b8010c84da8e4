"""Editions across services: the gateway records human work, the exporter regenerates every
export from the current transcription, and the past stays readable byte for byte.

Real PostgreSQL, NATS, relay, exporter service and gateway over HTTP.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from lxml import etree

from contracts import (
    Box,
    CorpusCreated,
    EngineInfo,
    Event,
    IiifSource,
    ImageRef,
    JobCreated,
    Line,
    ManuscriptImported,
    ManuscriptImportRequested,
    Metadata,
    PageAnalysis,
    PageAnalyzed,
    PageExported,
    PageImage,
    PageImageNormalized,
    PageRegistered,
    Plan,
    Region,
    corpus_stream,
    job_stream,
    manuscript_stream,
    page_stream,
)
from exporter.bootstrap import build as build_exporter
from exporter.formats import xsd
from gateway.adapters.api_keys import create_api_key
from gateway.settings import GatewaySettings
from gateway.testing import serve_gateway
from infra.artifacts import FileArtifactStore
from infra.eventstore import PostgresEventStore
from infra.settings import Settings
from infra.testing.pipeline import eventually, running_services

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

WIDTH, HEIGHT = 1200, 1600
TEXTS = ("In principio erat verbum", "et verbum erat apud Deum", "et Deus erat verbum")


def machine_analysis(texts: tuple[str, ...] = TEXTS) -> PageAnalysis:
    lines = [
        Line(
            id=f"l{n}",
            text=text,
            bbox=Box(x=100, y=100 + 80 * n, width=800, height=50),
            baseline=[(100, 145 + 80 * n), (900, 145 + 80 * n)],
            confidence=0.8,
        )
        for n, text in enumerate(texts, start=1)
    ]
    return PageAnalysis(
        image=PageImage(width=WIDTH, height=HEIGHT),
        regions=[Region(id="r1", bbox=Box(x=90, y=170, width=820, height=260), lines=lines)],
        reading_order=["r1"],
        engine=EngineInfo(name="tesseract", version="5.5"),
        created_at=datetime(2025, 2, 1, tzinfo=UTC),
    )


@dataclass
class Stack:
    client: httpx.AsyncClient
    store: PostgresEventStore
    artifacts: FileArtifactStore
    manuscript_id: UUID
    page_ids: list[UUID]
    corpora: Path

    async def page_events(self, index: int = 0) -> list[Any]:
        return await self.store.read_stream(page_stream(self.page_ids[index]))

    async def exports(self, index: int = 0) -> list[PageExported]:
        return [e.data for e in await self.page_events(index) if isinstance(e.data, PageExported)]

    async def until_exported(self, index: int, count: int) -> PageExported:
        """Wait for the page's `count`-th export and for the read model to serve it."""

        async def done() -> bool:
            exports = await self.exports(index)
            if len(exports) < count:
                return False
            alto = exports[-1].formats["alto"].sha256
            response = await self.client.get(f"/v1/pages/{self.page_ids[index]}/alto")
            return response.headers.get("etag") == f'"{alto}"'

        await eventually(done, timeout=60)
        return (await self.exports(index))[-1]

    async def manuscript_exports(self) -> list[Any]:
        return [
            e
            for e in await self.store.read_stream(manuscript_stream(self.manuscript_id))
            if e.type == "manuscript.exported"
        ]


async def seed(
    store: PostgresEventStore, artifacts: FileArtifactStore, pages: int
) -> tuple[UUID, list[UUID]]:
    """What the gateway, ingest and the analyzer would have recorded for a small manuscript."""
    corpus_id, manuscript_id, job_id = uuid4(), uuid4(), uuid4()
    meta = Metadata(correlation_id=job_id, actor="test")
    await store.append(
        corpus_stream(corpus_id),
        [
            CorpusCreated(
                corpus_id=corpus_id, slug=f"c{corpus_id.hex[:8]}", title="C", profile="default"
            )
        ],
    )
    await store.append(
        job_stream(job_id),
        [JobCreated(job_id=job_id, kind="import", corpus_id=corpus_id, plan=Plan())],
        metadata=meta,
    )
    requested = ManuscriptImportRequested(
        manuscript_id=manuscript_id,
        corpus_id=corpus_id,
        job_id=job_id,
        source=IiifSource(url="https://library.example/manifest.json"),
    )
    imported = ManuscriptImported(
        manuscript_id=manuscript_id, corpus_id=corpus_id, label="Evangeliary", page_count=pages
    )
    await store.append(manuscript_stream(manuscript_id), [requested, imported], metadata=meta)
    page_ids = []
    for index in range(pages):
        page_id = uuid4()
        master = artifacts.put(f"image {page_id}".encode(), "image/jpeg")
        image = ImageRef(**master.model_dump(), width=WIDTH, height=HEIGHT)
        analysis = machine_analysis().model_copy(update={"page_id": str(page_id)})
        history: list[Event] = [
            PageRegistered(
                page_id=page_id,
                manuscript_id=manuscript_id,
                corpus_id=corpus_id,
                job_id=job_id,
                index=index,
                label=f"f. {index + 1}r",
            ),
            PageImageNormalized(
                page_id=page_id, job_id=job_id, master=image, derivative=image, thumbnail=image
            ),
            PageAnalyzed(
                page_id=page_id,
                job_id=job_id,
                analysis=artifacts.put(
                    analysis.model_dump_json().encode(), PageAnalysis.media_type
                ),
                engine="tesseract",
                duration_ms=1.0,
            ),
        ]
        await store.append(page_stream(page_id), history, metadata=meta)
        page_ids.append(page_id)
    return manuscript_id, page_ids


@pytest.fixture
async def stack(
    settings: Settings, event_store: PostgresEventStore, corpora: Path
) -> AsyncIterator[Stack]:
    assert settings.database_url is not None
    gateway = serve_gateway(
        settings.database_url,
        settings.nats_url,
        settings.artifacts,
        GatewaySettings(
            auth="on",
            rate_limit_per_second=1000,
            rate_limit_burst=1000,
            completion_poll_seconds=0.05,
        ),
    )
    try:
        key = await create_api_key(event_store.pool, ["write"])
        artifacts = FileArtifactStore(settings.artifacts)
        exporter = partial(build_exporter, poll_seconds=0.1)
        async with (
            running_services(settings, event_store, [exporter]),
            httpx.AsyncClient(
                base_url=gateway.url, headers={"X-API-Key": key}, timeout=30
            ) as client,
        ):
            manuscript_id, page_ids = await seed(event_store, artifacts, 2)
            stack = Stack(client, event_store, artifacts, manuscript_id, page_ids, corpora)
            for index in range(len(page_ids)):
                await stack.until_exported(index, 1)

            async def manuscript_exported() -> bool:
                return bool(await stack.manuscript_exports())

            await eventually(manuscript_exported, timeout=60)
            yield stack
    finally:
        gateway.stop()


def official_schemas(corpora: Path) -> dict[str, etree.XMLSchema]:
    schemas = corpora / "schemas"
    return {
        "alto": etree.XMLSchema(etree.parse(str(schemas / "alto-4-4.xsd"))),
        "page": etree.XMLSchema(etree.parse(str(schemas / "pagecontent-2019-07-15.xsd"))),
    }


def assert_valid(stack: Stack, exported: PageExported) -> None:
    """Valid against the shipped XSDs and the newest official ones in the corpora."""
    alto, page = (stack.artifacts.get(exported.formats[name]) for name in ("alto", "page"))
    xsd.validate(xsd.Schema.ALTO, alto)
    xsd.validate(xsd.Schema.PAGE, page)
    for name, content in (("alto", alto), ("page", page)):
        schema = official_schemas(stack.corpora)[name]
        assert schema.validate(etree.fromstring(content)), (name, schema.error_log)


async def correct(
    stack: Stack, operations: list[dict[str, Any]], index: int = 0, **extra: Any
) -> dict[str, Any]:
    path = f"/v1/pages/{stack.page_ids[index]}"
    version = (await stack.client.get(f"{path}/transcription")).json()["version"]
    response = await stack.client.post(
        f"{path}/corrections", json={"expected_version": version, "operations": operations, **extra}
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_a_correction_changes_every_export_and_the_past_stays_readable(stack: Stack) -> None:
    path = f"/v1/pages/{stack.page_ids[0]}"
    before = {
        name: (await stack.client.get(f"{path}/{name}")).content
        for name in ("alto", "page", "text", "annotations")
    }
    mets_before = (await stack.client.get(f"/v1/manuscripts/{stack.manuscript_id}/mets")).content

    recorded = await correct(
        stack,
        [
            {"op": "edit_line_text", "line_id": "l1", "text": "In principio erat Verbum"},
            {"op": "split_line", "line_id": "l2", "offset": 14, "new_line_id": "l2b"},
            {"op": "set_region_type", "region_id": "r1", "zone": "MainZone"},
        ],
        reason="name and line break",
    )
    exported = await stack.until_exported(0, 2)

    # The export is of the corrected transcription, and every format changed.
    assert exported.analysis.sha256 == recorded["analysis"]["sha256"]
    after = {name: (await stack.client.get(f"{path}/{name}")).content for name in before}
    for name in before:
        assert after[name] != before[name], name
    assert "In principio erat Verbum\net verbum erat\napud Deum" in after["text"].decode()
    assert_valid(stack, exported)
    alto = etree.fromstring(after["alto"])
    ns = {"a": "http://www.loc.gov/standards/alto/ns-v4#"}
    assert [e.get("CONTENT") for e in alto.iterfind(".//a:TextLine/a:String", ns)][:3] == [
        "In principio erat Verbum",
        "et verbum erat",
        "apud Deum",
    ]
    editor = alto.find(".//a:Processing[@ID='processing_2']", ns)
    corrected = next(e for e in await stack.page_events() if e.type == "page.corrected")
    assert corrected.actor == corrected.data.actor  # the key's identity, in data and metadata
    assert editor.findtext("a:processingStepDescription", namespaces=ns) == (
        f"correction by {corrected.actor}"
    )
    assert b"structure {type:MainZone;}" in after["page"]

    # The manuscript's METS and bundle are rebuilt around the corrected page.
    async def manuscript_rebuilt() -> bool:
        return len(await stack.manuscript_exports()) >= 2

    await eventually(manuscript_rebuilt, timeout=60)
    rebuilt = (await stack.manuscript_exports())[-1].data
    bundle = stack.artifacts.get(rebuilt.formats["bundle"])
    assert b"Verbum" in zipfile.ZipFile(io.BytesIO(bundle)).read("alto/0001.alto.xml")

    # As of the correction itself, its export did not exist yet: the earlier files, byte for byte.
    position = recorded["position"]
    for name, content in before.items():
        old = await stack.client.get(f"{path}/{name}", params={"as_of": position})
        assert old.status_code == 200, old.text
        assert old.content == content, name
    old_mets = await stack.client.get(
        f"/v1/manuscripts/{stack.manuscript_id}/mets", params={"as_of": position}
    )
    assert old_mets.content == mets_before
    old_text = (
        await stack.client.get(f"{path}/transcription", params={"as_of": position - 1})
    ).json()
    assert old_text["analysis"]["regions"][0]["lines"][0]["text"] == TEXTS[0]
    old_page = (await stack.client.get(path, params={"as_of": position - 1})).json()
    assert old_page["status"] == "exported"

    # The diff between the versions names the changes, with their CER.
    diff = (
        await stack.client.get(
            f"{path}/diff", params={"from": recorded["version"] - 1, "to": recorded["version"]}
        )
    ).json()
    changes = {(c["change"], c["after_id"]): c for c in diff["lines"]}
    assert set(changes) == {("changed", "l1"), ("changed", "l2"), ("added", "l2b")}
    assert changes[("changed", "l1")]["cer"] == pytest.approx(1 / 24)
    assert 0 < diff["cer"] < 0.1
    versions = (await stack.client.get(f"{path}/versions")).json()["items"]
    assert versions[-1]["type"] == "page.corrected"
    assert versions[-1]["cer"] == pytest.approx(diff["cer"])


async def test_a_re_analysis_leaves_the_corrected_text_and_offers_a_candidate(stack: Stack) -> None:
    path = f"/v1/pages/{stack.page_ids[0]}"
    await correct(
        stack, [{"op": "edit_line_text", "line_id": "l1", "text": "In principio erat Verbum"}]
    )
    await stack.until_exported(0, 2)
    # The analyzer runs again (a reprocess job) and reads the other lines differently.
    rerun = machine_analysis(
        ("In principio erat verbum", "et verbum erat apud Dominum", "et Deus erat verbum")
    )
    job_id = uuid4()
    await stack.store.append(
        page_stream(stack.page_ids[0]),
        [
            PageAnalyzed(
                page_id=stack.page_ids[0],
                job_id=job_id,
                analysis=stack.artifacts.put(
                    rerun.model_dump_json().encode(), PageAnalysis.media_type
                ),
                engine="tesseract",
                duration_ms=1.0,
            )
        ],
        metadata=Metadata(correlation_id=job_id, actor="analyzer"),
    )
    exported = await stack.until_exported(0, 3)
    assert exported.job_id == job_id
    text = (await stack.client.get(f"{path}/text")).text
    assert text.startswith("In principio erat Verbum\net verbum erat apud Deum")

    (candidate,) = (await stack.client.get(f"{path}/candidates")).json()["items"]
    changed = {c["after_id"]: c for c in candidate["diff"]["lines"]}
    assert set(changed) == {"l1", "l2"}
    assert changed["l2"]["after_text"] == "et verbum erat apud Dominum"
    version = (await stack.client.get(f"{path}/transcription")).json()["version"]
    adopted = await stack.client.post(
        f"{path}/candidates/{candidate['id']}/adopt",
        json={"expected_version": version, "lines": ["l2"]},
    )
    assert adopted.status_code == 201, adopted.text
    await stack.until_exported(0, 4)
    text = (await stack.client.get(f"{path}/text")).text
    assert text == "In principio erat Verbum\net verbum erat apud Dominum\net Deus erat verbum\n"


async def test_imported_files_become_versions_with_their_source(stack: Stack) -> None:
    path = f"/v1/pages/{stack.page_ids[1]}"
    gt = (
        stack.corpora
        / "ocr-gt"
        / "dta-bebel_frau_1879_0146"
        / "GT-PAGE"
        / "bebel_frau_1879_0146.xml"
    )
    response = await stack.client.post(
        f"{path}/transcription",
        files={"file": (gt.name, gt.read_bytes(), "application/xml")},
        params={"reason": "DTA ground truth"},
    )
    assert response.status_code == 202, response.text
    follow = response.json()["links"]["self"]

    async def imported() -> bool:
        return (await stack.client.get(follow)).json()["state"] != "pending"

    await eventually(imported, timeout=60)
    state = (await stack.client.get(follow)).json()
    assert state["state"] == "imported", state
    exported = await stack.until_exported(1, 2)
    assert_valid(stack, exported)
    events = await stack.page_events(1)
    record = next(e.data for e in events if e.type == "page.transcription_imported")
    assert record.filename == gt.name
    assert stack.artifacts.get(record.source) == gt.read_bytes()
    assert record.source_schema == "http://schema.primaresearch.org/PAGE/gts/pagecontent/2019-07-15"
    assert "scaled from 3068×4660 to the page's 1200×1600" in record.notes
    transcription = (await stack.client.get(f"{path}/transcription")).json()
    assert transcription["text_version"] == state["version"]
    assert "Gartenwirthschaft" in (await stack.client.get(f"{path}/text")).text
    versions = (await stack.client.get(f"{path}/versions")).json()["items"]
    assert versions[-1]["summary"] == f"imported PAGE file {gt.name}"

    # An eScriptorium ALTO file keeps its SegmOnto zones.
    alto_gt = next(
        (stack.corpora / "ocr-gt" / "cremma-bnf_fr_1728-btv1b84473026_f25").glob("*.xml")
    )
    response = await stack.client.post(
        f"{path}/transcription",
        content=alto_gt.read_bytes(),
        headers={"content-type": "application/alto+xml"},
    )
    assert response.status_code == 202, response.text
    follow = response.json()["links"]["self"]
    await eventually(imported, timeout=60)
    assert (await stack.client.get(follow)).json()["state"] == "imported"
    exported = await stack.until_exported(1, 3)
    assert_valid(stack, exported)
    regions = (await stack.client.get(f"{path}/transcription")).json()["analysis"]["regions"]
    assert {r["zone"] for r in regions} == {"MainZone", "RunningTitleZone", "NumberingZone"}

    # A file that cannot become a transcription fails, saying why, and nothing else changes.
    empty_page = b'<PcGts xmlns="http://schema.primaresearch.org/PAGE/gts/pagecontent/2019-07-15"/>'
    response = await stack.client.post(
        f"{path}/transcription", content=empty_page, headers={"content-type": "application/xml"}
    )
    follow = response.json()["links"]["self"]
    await eventually(imported, timeout=60)
    failed = (await stack.client.get(follow)).json()
    assert (failed["state"], failed["reason"]) == ("failed", "PAGE document has no Page")
    assert len(await stack.exports(1)) == 3


async def test_a_whole_manuscript_imports_from_one_zip(stack: Stack) -> None:
    gt = stack.corpora / "ocr-gt"
    page_file = (
        gt / "dta-bebel_frau_1879_0146" / "GT-PAGE" / "bebel_frau_1879_0146.xml"
    ).read_bytes()
    alto_file = next((gt / "cremma-bnf_fr_1728-btv1b84473026_f25").glob("*.xml")).read_bytes()
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("export/page/f. 2r.xml", page_file)  # named after page 2's label
        zipped.writestr("export/alto/0001.xml", alto_file)  # names nothing: goes by order
        zipped.writestr("export/mets.xml", b'<mets xmlns="http://www.loc.gov/METS/"/>')
        zipped.writestr("export/images/0001.jpg", b"\xff\xd8\xff")
    response = await stack.client.post(
        f"/v1/manuscripts/{stack.manuscript_id}/transcriptions",
        content=archive.getvalue(),
        headers={"content-type": "application/zip"},
    )
    assert response.status_code == 202, response.text
    body = response.json()
    assert {(i["file"], i["page_id"], i["matched_by"]) for i in body["imports"]} == {
        ("export/page/f. 2r.xml", str(stack.page_ids[1]), "file name"),
        ("export/alto/0001.xml", str(stack.page_ids[0]), "order"),
    }
    assert [s["file"] for s in body["skipped"]] == ["export/mets.xml"]

    for item in body["imports"]:

        async def imported(url: str = item["status_url"]) -> bool:
            return (await stack.client.get(url)).json()["state"] == "imported"

        await eventually(imported, timeout=60)
    for index in (0, 1):
        assert_valid(stack, await stack.until_exported(index, 2))
    assert (
        "Gartenwirthschaft" in (await stack.client.get(f"/v1/pages/{stack.page_ids[1]}/text")).text
    )

    not_a_zip = await stack.client.post(
        f"/v1/manuscripts/{stack.manuscript_id}/transcriptions",
        content=b"PK but not really",
        headers={"content-type": "application/zip"},
    )
    assert (not_a_zip.status_code, "not a zip archive" in not_a_zip.json()["detail"]) == (422, True)
