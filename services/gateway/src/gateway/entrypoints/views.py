"""Read-model rows to response bodies, with links to what can be fetched next."""

from __future__ import annotations

from gateway.domain.models import CorpusRow, JobPageRow, JobRow, ManuscriptRow, PageRow
from gateway.entrypoints.schemas import CorpusOut, FailedPageOut, JobOut, ManuscriptOut, PageOut


def corpus_view(row: CorpusRow) -> CorpusOut:
    return CorpusOut(
        id=row.corpus_id,
        slug=row.slug,
        title=row.title,
        profile=row.profile,
        created_at=row.created_at,
    )


def manuscript_view(row: ManuscriptRow) -> ManuscriptOut:
    base = f"/v1/manuscripts/{row.manuscript_id}"
    links = {"pages": f"{base}/pages"}
    names = {"bundle": "bundle.zip", "pdf": "searchable.pdf"}
    links.update({name: f"{base}/{names.get(name, name)}" for name in row.formats})
    return ManuscriptOut(
        id=row.manuscript_id,
        corpus_id=row.corpus_id,
        job_id=row.job_id,
        status=row.status,
        source_kind=row.source_kind,
        label=row.label,
        page_count=row.page_count,
        manifest_id=row.manifest_id,
        created_at=row.created_at,
        error=row.error,
        links=links,
    )


def page_view(row: PageRow) -> PageOut:
    base = f"/v1/pages/{row.page_id}"
    links = {
        "history": f"{base}/history",
        "transcription": f"{base}/transcription",
        "versions": f"{base}/versions",
    }
    links.update({f"image-{name}": f"{base}/image/{name}" for name in row.images})
    if row.analysis:
        links["analysis"] = f"{base}/analysis"
    links.update({name: f"{base}/{name}" for name in row.formats})
    return PageOut(
        id=row.page_id,
        manuscript_id=row.manuscript_id,
        corpus_id=row.corpus_id,
        index=row.index,
        label=row.label,
        status=row.status,
        engine=row.engine,
        confidence=row.confidence,
        attempts=row.attempts,
        job_id=row.job_id,
        updated_at=row.updated_at,
        last_error=row.last_error,
        links=links,
    )


def job_view(row: JobRow, failed: list[JobPageRow]) -> JobOut:
    return JobOut(
        id=row.job_id,
        kind=row.kind,
        status=row.status,
        corpus_id=row.corpus_id,
        manuscript_id=row.manuscript_id,
        plan=row.plan,
        created_at=row.created_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
        expected_pages=row.expected_pages,
        counts=row.counts,
        import_error=row.import_error,
        failed_pages=[
            FailedPageOut(page_id=p.page_id, stage=p.failure_stage, reason=p.reason) for p in failed
        ],
    )
