"""Job progress rules, on the pure reducers: counters, terminal pages, status, retry."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID, uuid4

from contracts import (
    ArtifactRef,
    Event,
    IiifSource,
    ImageRef,
    JobCancelled,
    JobCompleted,
    JobCreated,
    JobRetried,
    JobSummary,
    ManuscriptImported,
    ManuscriptImportFailed,
    ManuscriptImportRequested,
    Metadata,
    PageAnalysisFailed,
    PageAnalysisRequested,
    PageAnalyzed,
    PageExported,
    PageExportFailed,
    PageImageNormalized,
    PageIngestFailed,
    PageRegistered,
    PageStageRerequested,
    PageStageSkipped,
    Plan,
    RecordedEvent,
    RetriedPage,
)
from gateway.domain.jobs import completion_due, summarise
from gateway.domain.reducers import apply_event
from gateway.domain.state import ReadModelState

REF = ArtifactRef(sha256="a" * 64, media_type="application/json", bytes=1)
NOW = datetime(2026, 1, 1, tzinfo=UTC)


class Log:
    """Feeds events through the reducers as the projection would, in one state."""

    def __init__(self) -> None:
        self.state, self.versions, self.position = ReadModelState(), {}, 0

    def add(self, stream: str, event: Event, job: UUID | None = None) -> None:
        self.position += 1
        self.versions[stream] = self.versions.get(stream, 0) + 1
        apply_event(
            self.state,
            RecordedEvent(
                position=self.position,
                event_id=uuid4(),
                stream_id=stream,
                stream_version=self.versions[stream],
                type=event.type,
                schema_version=event.schema_version,
                occurred_at=NOW,
                metadata=Metadata(correlation_id=job),
                data=event,
            ),
        )


def import_job(log: Log, pages: int) -> tuple[UUID, list[UUID]]:
    corpus, manuscript, job = uuid4(), uuid4(), uuid4()
    log.add(
        f"job-{job}",
        JobCreated(
            job_id=job, kind="import", corpus_id=corpus, manuscript_id=manuscript, plan=Plan()
        ),
    )
    log.add(
        f"manuscript-{manuscript}",
        ManuscriptImported(manuscript_id=manuscript, corpus_id=corpus, page_count=pages),
        job,
    )
    page_ids = [uuid4() for _ in range(pages)]
    for index, page in enumerate(page_ids):
        log.add(
            f"page-{page}",
            PageRegistered(
                page_id=page, manuscript_id=manuscript, corpus_id=corpus, job_id=job, index=index
            ),
        )
    return job, page_ids


def test_a_new_job_is_pending_and_a_registered_page_makes_it_run() -> None:
    log = Log()
    job_id = uuid4()
    log.add(f"job-{job_id}", JobCreated(job_id=job_id, kind="import", plan=Plan()))
    assert log.state.jobs[job_id].status == "pending"
    job, _ = import_job(log, 2)
    assert log.state.jobs[job].status == "running"
    assert log.state.jobs[job].counts["registered"] == 2


def test_each_kind_of_failure_is_terminal_and_counted_once() -> None:
    log = Log()
    job, pages = import_job(log, 4)
    log.add(
        f"page-{pages[0]}",
        PageIngestFailed(page_id=pages[0], step="fetch", code="fetch-failed", reason="404"),
        job,
    )
    log.add(
        f"page-{pages[1]}",
        PageAnalysisFailed(
            page_id=pages[1], code="engine-failed", reason="retrying", attempt=1, final=False
        ),
        job,
    )
    assert log.state.jobs[job].counts["failed"] == 1  # a non-final failure is not terminal
    log.add(
        f"page-{pages[1]}",
        PageAnalysisFailed(
            page_id=pages[1], code="engine-failed", reason="gave up", attempt=3, final=True
        ),
        job,
    )
    log.add(
        f"page-{pages[2]}",
        PageAnalyzed(page_id=pages[2], analysis=REF, engine="t", duration_ms=1),
        job,
    )
    log.add(
        f"page-{pages[2]}",
        PageExportFailed(page_id=pages[2], format="alto", code="invalid-document", reason="xsd"),
        job,
    )
    state = log.state.jobs[job]
    assert not completion_due(state)
    log.add(
        f"page-{pages[3]}",
        PageAnalyzed(page_id=pages[3], analysis=REF, engine="t", duration_ms=1),
        job,
    )
    log.add(f"page-{pages[3]}", PageExported(page_id=pages[3], analysis=REF, formats={}), job)
    assert state.counts == {
        "registered": 4,
        "normalised": 2,  # cumulative: an analysed page was normalised
        "analyzed": 2,
        "exported": 1,
        "failed": 3,
    }
    assert completion_due(state)
    status, summary, _ = summarise(state, list(log.state.job_pages.values()))
    assert (status, summary.exported, summary.failed) == ("done", 1, 3)
    assert {f.stage for f in summary.failures} == {"ingest", "analysis", "export"}


def test_completion_is_recorded_then_a_retry_reopens_the_job() -> None:
    log = Log()
    job, pages = import_job(log, 1)
    log.add(
        f"page-{pages[0]}",
        PageAnalysisFailed(page_id=pages[0], code="c", reason="r", attempt=1, final=True),
        job,
    )
    state = log.state.jobs[job]
    status, summary, _ = summarise(state, list(log.state.job_pages.values()))
    assert status == "failed"  # nothing exported at all
    log.add(f"job-{job}", JobCompleted(job_id=job, status="failed", summary=summary), job)
    assert (state.status, state.version, completion_due(state)) == ("failed", 2, False)
    log.add(f"page-{pages[0]}", PageAnalysisRequested(page_id=pages[0], job_id=job, plan=Plan()))
    assert (state.status, state.counts["failed"], state.finished_at) == ("running", 0, None)
    log.add(
        f"page-{pages[0]}",
        PageAnalyzed(page_id=pages[0], analysis=REF, engine="t", duration_ms=1),
        job,
    )
    log.add(f"page-{pages[0]}", PageExported(page_id=pages[0], analysis=REF, formats={}), job)
    assert completion_due(state)


def test_import_failure_finishes_the_job_failed_and_cancel_stops_completion() -> None:
    log = Log()
    manuscript, job = uuid4(), uuid4()
    log.add(
        f"job-{job}", JobCreated(job_id=job, kind="import", plan=Plan(), manuscript_id=manuscript)
    )
    log.add(
        f"manuscript-{manuscript}",
        ManuscriptImportFailed(
            manuscript_id=manuscript, code="manifest-not-iiif", reason="not a manifest"
        ),
        job,
    )
    state = log.state.jobs[job]
    assert completion_due(state)
    assert summarise(state, [])[0] == "failed"
    log.add(f"job-{job}", JobCancelled(job_id=job), job)
    assert (state.status, completion_due(state)) == ("cancelled", False)


def normalise(log: Log, job: UUID, page: UUID) -> None:
    image = ImageRef(**REF.model_dump(), width=10, height=10)
    log.add(
        f"page-{page}",
        PageImageNormalized(
            page_id=page, job_id=job, master=image, derivative=image, thumbnail=image
        ),
        job,
    )


def test_an_analyze_job_stays_pending_until_its_pages_move() -> None:
    log = Log()
    imported, pages = import_job(log, 2)
    for page in pages:
        normalise(log, imported, page)
    job = uuid4()
    log.add(f"job-{job}", JobCreated(job_id=job, kind="analyze", page_ids=pages, plan=Plan()), job)
    for page in pages:
        log.add(f"page-{page}", PageAnalysisRequested(page_id=page, job_id=job, plan=Plan()), job)
    state = log.state.jobs[job]
    assert (state.status, state.expected_pages, state.counts["normalised"]) == ("pending", 2, 2)
    log.add(
        f"page-{pages[0]}",
        PageAnalyzed(page_id=pages[0], analysis=REF, engine="t", duration_ms=1),
        job,
    )
    assert state.status == "running"
    assert log.state.pages[pages[0]].status == "analyzed"
    assert JobSummary(pages=0, exported=0, failed=0).failures == []


def test_a_page_retried_from_ingest_counts_once_at_its_latest_state() -> None:
    log = Log()
    job, pages = import_job(log, 2)
    normalise(log, job, pages[1])
    log.add(
        f"page-{pages[0]}",
        PageIngestFailed(page_id=pages[0], step="fetch", code="fetch-failed", reason="404"),
        job,
    )
    state = log.state.jobs[job]
    assert (state.counts["normalised"], state.counts["failed"]) == (1, 1)

    log.add(
        f"job-{job}",
        JobRetried(job_id=job, pages=[RetriedPage(page_id=pages[0], stage="ingest")]),
        job,
    )
    log.add(
        f"page-{pages[0]}",
        PageStageRerequested(page_id=pages[0], job_id=job, stage="ingest", attempt=1, reason="r"),
        job,
    )
    # Back at `registered`: not normalised until ingest says so again, and no longer failed.
    assert state.counts == {
        "registered": 2,
        "normalised": 1,
        "analyzed": 0,
        "exported": 0,
        "failed": 0,
    }
    assert (state.status, state.version) == ("running", 2)
    normalise(log, job, pages[0])
    assert state.counts["normalised"] == 2
    assert log.state.job_pages[(job, pages[0])].stage == 1


def test_a_page_retried_from_export_keeps_its_analysis_and_loses_its_failure() -> None:
    log = Log()
    job, pages = import_job(log, 1)
    normalise(log, job, pages[0])
    log.add(
        f"page-{pages[0]}",
        PageAnalyzed(page_id=pages[0], analysis=REF, engine="t", duration_ms=1),
        job,
    )
    log.add(
        f"page-{pages[0]}",
        PageExportFailed(page_id=pages[0], format="alto", code="invalid-document", reason="xsd"),
        job,
    )
    log.add(
        f"page-{pages[0]}",
        PageStageRerequested(page_id=pages[0], job_id=job, stage="export", attempt=1, reason="r"),
        job,
    )
    counts = log.state.jobs[job].counts
    assert (counts["analyzed"], counts["exported"], counts["failed"]) == (1, 0, 0)
    assert log.state.pages[pages[0]].status == "analyzed"


def test_a_cancelled_job_keeps_its_end_while_pages_in_flight_finish() -> None:
    log = Log()
    job, pages = import_job(log, 1)
    log.add(f"job-{job}", JobCancelled(job_id=job, reason="wrong book"), job)
    state = log.state.jobs[job]
    assert (state.status, state.finished_at) == ("cancelled", NOW)
    normalise(log, job, pages[0])
    log.add(
        f"page-{pages[0]}",
        PageStageSkipped(page_id=pages[0], job_id=job, stage="analysis", reason="cancelled"),
        job,
    )
    assert (state.status, state.finished_at, completion_due(state)) == ("cancelled", NOW, False)
    assert log.state.pages[pages[0]].status == "skipped"


def test_a_collection_job_waits_for_every_member_import() -> None:
    log = Log()
    corpus, root, job = uuid4(), uuid4(), uuid4()
    log.add(
        f"job-{job}",
        JobCreated(job_id=job, kind="import", corpus_id=corpus, manuscript_id=root, plan=Plan()),
    )
    state = log.state.jobs[job]
    members = [uuid4(), uuid4()]
    # Ingest records each member's request and outcome, the collection's outcome last.
    for member in members:
        log.add(
            f"manuscript-{member}",
            ManuscriptImportRequested(
                manuscript_id=member,
                corpus_id=corpus,
                job_id=job,
                source=IiifSource.model_validate({"url": "https://example.org/m.json"}),
            ),
            job,
        )
        assert not completion_due(state)
    log.add(
        f"manuscript-{members[0]}",
        ManuscriptImportFailed(manuscript_id=members[0], code="fetch-failed", reason="HTTP 404"),
        job,
    )
    log.add(
        f"manuscript-{members[1]}",
        ManuscriptImported(manuscript_id=members[1], corpus_id=corpus, page_count=0),
        job,
    )
    assert state.imports_pending == 1
    assert not completion_due(state)  # the collection itself is not recorded yet
    log.add(
        f"manuscript-{root}",
        ManuscriptImported(manuscript_id=root, corpus_id=corpus, page_count=0),
        job,
    )
    assert (state.imports_pending, completion_due(state)) == (0, True)
    assert summarise(state, []) == (
        "failed",
        JobSummary(pages=0, exported=0, failed=0),
        "HTTP 404",
    )


def test_an_import_that_registered_no_page_is_not_done() -> None:
    log = Log()
    job, _ = import_job(log, 0)
    state = log.state.jobs[job]
    assert completion_due(state)
    status, _, reason = summarise(state, [])
    assert (status, reason) == ("failed", "the import registered no page")
