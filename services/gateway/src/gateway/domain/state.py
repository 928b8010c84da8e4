"""The slice of the read models one batch of events touches, loaded before and saved after."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from uuid import UUID

from contracts import JobCreated, ManuscriptImportRequested, RecordedEvent
from gateway.domain.models import CorpusRow, JobPageRow, JobRow, ManuscriptRow, PageRow


@dataclass
class Keys:
    """The rows a batch may read: what the adapter loads before reducing."""

    manuscripts: set[UUID] = field(default_factory=set)
    pages: set[UUID] = field(default_factory=set)
    jobs: set[UUID] = field(default_factory=set)
    job_pages: set[tuple[UUID, UUID]] = field(default_factory=set)


@dataclass
class ReadModelState:
    corpora: dict[UUID, CorpusRow] = field(default_factory=dict)
    manuscripts: dict[UUID, ManuscriptRow] = field(default_factory=dict)
    pages: dict[UUID, PageRow] = field(default_factory=dict)
    jobs: dict[UUID, JobRow] = field(default_factory=dict)
    job_pages: dict[tuple[UUID, UUID], JobPageRow] = field(default_factory=dict)
    changed: set[tuple[str, object]] = field(default_factory=set)

    def mark(self, table: str, key: object) -> None:
        self.changed.add((table, key))

    def changed_rows(self, table: str) -> list[object]:
        source: dict[object, object] = getattr(self, table)
        return [source[key] for name, key in self.changed if name == table and key in source]


def job_of(event: RecordedEvent) -> UUID | None:
    """The job an event belongs to: its `job_id` field, else the correlation id."""
    job_id = getattr(event.data, "job_id", None)
    return job_id if isinstance(job_id, UUID) else event.correlation_id


def keys_for(events: Sequence[RecordedEvent]) -> Keys:
    keys = Keys()
    for event in events:
        data = event.data
        if isinstance(data, JobCreated):
            keys.jobs.add(data.job_id)
            continue
        if isinstance(data, ManuscriptImportRequested):
            keys.jobs.add(data.job_id)
        for name, bucket in (("manuscript_id", keys.manuscripts), ("page_id", keys.pages)):
            value = getattr(data, name, None)
            if isinstance(value, UUID):
                bucket.add(value)
        job_id = job_of(event)
        page_id = getattr(data, "page_id", None)
        if job_id is not None:
            keys.jobs.add(job_id)
            if isinstance(page_id, UUID):
                keys.job_pages.add((job_id, page_id))
    return keys
