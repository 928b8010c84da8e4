"""Pure reducers: each event updates the rows of the read models held in a `ReadModelState`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from contracts import (
    CorpusCreated,
    Event,
    JobCancelled,
    JobCompleted,
    ManuscriptExported,
    ManuscriptImported,
    ManuscriptImportFailed,
    ManuscriptImportRequested,
    PageAnalysisFailed,
    PageAnalysisRequested,
    PageAnalysisStarted,
    PageAnalyzed,
    PageExported,
    PageExportFailed,
    PageImageNormalized,
    PageIngestFailed,
    PageRegistered,
    PageStageRerequested,
    PageStageSkipped,
    RecordedEvent,
)
from gateway.domain.job_reducers import JOB_REDUCERS
from gateway.domain.models import CorpusRow, ManuscriptRow, PageRow
from gateway.domain.state import ReadModelState

Reducer = Callable[[ReadModelState, RecordedEvent, Any], None]


def apply_event(state: ReadModelState, event: RecordedEvent) -> None:
    for reducer in (*_REDUCERS.get(event.type, ()), *JOB_REDUCERS.get(event.type, ())):
        reducer(state, event, event.data)


def _corpus_created(state: ReadModelState, event: RecordedEvent, data: CorpusCreated) -> None:
    state.corpora[data.corpus_id] = CorpusRow(
        data.corpus_id, data.slug, data.title, data.profile, event.occurred_at
    )
    state.mark("corpora", data.corpus_id)


def _import_requested(
    state: ReadModelState, event: RecordedEvent, data: ManuscriptImportRequested
) -> None:
    state.manuscripts[data.manuscript_id] = ManuscriptRow(
        manuscript_id=data.manuscript_id,
        corpus_id=data.corpus_id,
        job_id=data.job_id,
        status="importing",
        source_kind=data.source.kind,
        created_at=event.occurred_at,
        label=getattr(data.source, "label", None),
    )
    state.mark("manuscripts", data.manuscript_id)


def _manuscript(state: ReadModelState, event: RecordedEvent, data: Any) -> None:
    row = state.manuscripts.get(data.manuscript_id)
    if row is None:
        return
    if isinstance(data, ManuscriptImported):
        row.status, row.label = "imported", data.label or row.label
        row.page_count, row.manifest_id = data.page_count, data.manifest_id
    elif isinstance(data, ManuscriptImportFailed):
        row.status = "failed"
        row.error = {"stage": "import", "code": data.code, "reason": data.reason}
    elif isinstance(data, ManuscriptExported):
        row.status = "exported"
        row.formats = {name: ref.model_dump(mode="json") for name, ref in data.formats.items()}
    state.mark("manuscripts", data.manuscript_id)


def _page_registered(state: ReadModelState, event: RecordedEvent, data: PageRegistered) -> None:
    state.pages[data.page_id] = PageRow(
        page_id=data.page_id,
        manuscript_id=data.manuscript_id,
        corpus_id=data.corpus_id,
        index=data.index,
        status="registered",
        updated_at=event.occurred_at,
        job_id=data.job_id,
        label=data.label,
    )
    state.mark("pages", data.page_id)


def _page(state: ReadModelState, event: RecordedEvent, data: Any) -> None:
    page = state.pages.get(data.page_id)
    if page is None:
        return
    _PAGE_UPDATES[type(data)](page, data)
    page.updated_at = event.occurred_at
    state.mark("pages", data.page_id)


def _error(stage: str, code: str, reason: str) -> dict[str, str]:
    return {"stage": stage, "code": code, "reason": reason}


def _normalized(page: PageRow, data: PageImageNormalized) -> None:
    page.status = "normalised"
    page.images = {
        name: getattr(data, name).model_dump(mode="json")
        for name in ("master", "derivative", "thumbnail")
    }


def _ingest_failed(page: PageRow, data: PageIngestFailed) -> None:
    page.status, page.last_error = "failed", _error(f"ingest:{data.step}", data.code, data.reason)


def _requested(page: PageRow, data: PageAnalysisRequested) -> None:
    page.status, page.job_id = "queued", data.job_id


def _started(page: PageRow, data: PageAnalysisStarted) -> None:
    page.status, page.engine, page.attempts = "analyzing", data.engine, data.attempt


def _analyzed(page: PageRow, data: PageAnalyzed) -> None:
    page.status, page.engine, page.confidence = "analyzed", data.engine, data.mean_confidence
    page.analysis = data.analysis.model_dump(mode="json")


def _analysis_failed(page: PageRow, data: PageAnalysisFailed) -> None:
    page.last_error = _error("analysis", data.code, data.reason)
    if data.final:
        page.status = "failed"


_RERUN_STATUS = {"ingest": "registered", "analysis": "queued", "export": "analyzed"}


def _rerequested(page: PageRow, data: PageStageRerequested) -> None:
    page.status = _RERUN_STATUS[data.stage]


def _skipped(page: PageRow, data: PageStageSkipped) -> None:
    page.status = "skipped"


def _exported(page: PageRow, data: PageExported) -> None:
    page.status = "exported"
    page.formats = {name: ref.model_dump(mode="json") for name, ref in data.formats.items()}


def _export_failed(page: PageRow, data: PageExportFailed) -> None:
    page.status, page.last_error = "failed", _error(f"export:{data.format}", data.code, data.reason)


_PAGE_UPDATES: dict[type[Event], Callable[[PageRow, Any], None]] = {
    PageImageNormalized: _normalized,
    PageIngestFailed: _ingest_failed,
    PageAnalysisRequested: _requested,
    PageAnalysisStarted: _started,
    PageAnalyzed: _analyzed,
    PageAnalysisFailed: _analysis_failed,
    PageExported: _exported,
    PageExportFailed: _export_failed,
    PageStageRerequested: _rerequested,
    PageStageSkipped: _skipped,
}

_REDUCERS: dict[str, tuple[Reducer, ...]] = {
    CorpusCreated.type: (_corpus_created,),
    ManuscriptImportRequested.type: (_import_requested,),
    ManuscriptImported.type: (_manuscript,),
    ManuscriptImportFailed.type: (_manuscript,),
    ManuscriptExported.type: (_manuscript,),
    PageRegistered.type: (_page_registered,),
    **{model.type: (_page,) for model in _PAGE_UPDATES},
}

EVENT_TYPES = sorted({*_REDUCERS, *JOB_REDUCERS, JobCancelled.type, JobCompleted.type})
