from __future__ import annotations

import asyncio
import io
import zipfile
from typing import Any
from uuid import uuid4

from contracts import ManuscriptExported, PageExported, PageIngestFailed, manuscript_stream
from exporter.application.export_manuscript import export_manuscript
from exporter.application.export_page import export_page
from exporter.application.ports import DueManuscript, ExportPorts, ManuscriptExportPorts
from exporter.domain.urls import GatewayUrls
from exporter.formats import xsd

URLS = GatewayUrls("https://recto.example")


async def _three_pages_one_failed(seeder: Any) -> DueManuscript:
    await seeder.import_manuscript(3)
    for index in range(3):
        await seeder.register(index)
    for index in (0, 1):
        ((_, exported),) = await export_page(
            seeder.analyzed(index), ExportPorts(seeder.artifacts, URLS)
        )
        assert isinstance(exported, PageExported)
        await seeder.record(index, exported)
    failed = PageIngestFailed(page_id=seeder.page_id(2), step="fetch", code="x", reason="404")
    await seeder.record(2, failed)
    return DueManuscript(seeder.manuscript_id, uuid4(), [seeder.page_id(i) for i in range(3)])


def _ports(seeder: Any) -> ManuscriptExportPorts:
    return ManuscriptExportPorts(seeder.store, seeder.artifacts, URLS)


async def test_a_done_manuscript_is_exported_and_recorded_once(seeder: Any) -> None:
    due = await _three_pages_one_failed(seeder)

    exported = await export_manuscript(due, _ports(seeder))
    again = await export_manuscript(due, _ports(seeder))

    assert isinstance(exported, ManuscriptExported)
    assert again is None
    assert (exported.pages_exported, exported.pages_failed) == (2, 1)
    assert sorted(exported.formats) == ["bundle", "iiif-manifest", "mets", "pdf"]
    xsd.validate(xsd.Schema.METS, seeder.artifacts.get(exported.formats["mets"]))
    bundle = zipfile.ZipFile(io.BytesIO(seeder.artifacts.get(exported.formats["bundle"])))
    assert "alto/0002.alto.xml" in bundle.namelist()
    assert "alto/0003.alto.xml" not in bundle.namelist()  # the failed page has no text
    assert "images/0003.jpg" in bundle.namelist()
    (recorded,) = [
        e
        for e in await seeder.store.read_stream(manuscript_stream(seeder.manuscript_id))
        if isinstance(e.data, ManuscriptExported)
    ]
    assert recorded.causation_id == due.last_change
    assert recorded.correlation_id == seeder.job_id


async def test_a_newer_page_change_exports_again(seeder: Any) -> None:
    due = await _three_pages_one_failed(seeder)
    first = await export_manuscript(due, _ports(seeder))

    newer = DueManuscript(due.manuscript_id, uuid4(), due.page_ids)
    second = await export_manuscript(newer, _ports(seeder))

    assert first is not None
    assert second is not None


async def test_of_two_concurrent_exports_only_one_is_recorded(seeder: Any) -> None:
    due = await _three_pages_one_failed(seeder)

    # Both read the manuscript's version before either has built its files.
    outcomes = await asyncio.gather(
        export_manuscript(due, _ports(seeder)),
        export_manuscript(due, _ports(seeder)),
        return_exceptions=True,
    )

    assert sorted(type(o).__name__ for o in outcomes) == [
        "ManuscriptExported",
        "WrongExpectedVersion",
    ]
    stream = await seeder.store.read_stream(manuscript_stream(seeder.manuscript_id))
    assert sum(isinstance(e.data, ManuscriptExported) for e in stream) == 1
