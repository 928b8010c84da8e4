from __future__ import annotations

from typing import Any
from uuid import uuid4

from contracts import (
    ArtifactRef,
    PageAnalysisFailed,
    PageAnalyzed,
    PageExported,
    PageExportFailed,
    PageIngestFailed,
)
from exporter.domain.progress import PageOutcome, fold_page, page_outcome

PAGE = uuid4()
REF = ArtifactRef(sha256="a" * 64, media_type="application/json", bytes=1)


def _exported() -> PageExported:
    return PageExported(page_id=PAGE, analysis=REF, formats={"alto": REF})


def _analysis_failed(*, final: bool) -> PageAnalysisFailed:
    return PageAnalysisFailed(
        page_id=PAGE, code="engine-failed", reason="x", attempt=1, final=final
    )


def test_only_outcome_events_end_a_page() -> None:
    assert page_outcome(_exported()) is PageOutcome.EXPORTED
    assert page_outcome(_analysis_failed(final=True)) is PageOutcome.FAILED
    assert page_outcome(_analysis_failed(final=False)) is None
    ingest = PageIngestFailed(page_id=PAGE, step="fetch", code="fetch-failed", reason="404")
    assert page_outcome(ingest) is PageOutcome.FAILED
    export = PageExportFailed(page_id=PAGE, format="alto", code="invalid-document", reason="x")
    assert page_outcome(export) is PageOutcome.FAILED
    analyzed = PageAnalyzed(page_id=PAGE, analysis=REF, engine="null", duration_ms=0)
    assert page_outcome(analyzed) is None


def test_the_latest_outcome_wins(make_registration: Any) -> None:
    registered = make_registration(0)
    failed_then_exported = fold_page([registered, _analysis_failed(final=True), _exported()])
    assert failed_then_exported.outcome is PageOutcome.EXPORTED
    assert failed_then_exported.exported == _exported()
    assert failed_then_exported.done

    exported_then_failed = fold_page([registered, _exported(), _analysis_failed(final=True)])
    assert exported_then_failed.outcome is PageOutcome.FAILED
    assert exported_then_failed.exported is None


def test_a_page_without_outcome_or_registration_is_not_done(make_registration: Any) -> None:
    assert not fold_page([make_registration(0), _analysis_failed(final=False)]).done
    assert not fold_page([_exported()]).done
