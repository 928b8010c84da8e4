"""Stream names: one stream per aggregate instance, `<aggregate>-<id>`."""

from __future__ import annotations

from uuid import UUID


def corpus_stream(corpus_id: UUID) -> str:
    return f"corpus-{corpus_id}"


def manuscript_stream(manuscript_id: UUID) -> str:
    return f"manuscript-{manuscript_id}"


def page_stream(page_id: UUID) -> str:
    return f"page-{page_id}"


def job_stream(job_id: UUID) -> str:
    return f"job-{job_id}"


def api_key_stream(key_id: str) -> str:
    return f"api_key-{key_id}"
