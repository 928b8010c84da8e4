"""A job's own stream folded into what its commands decide on: the write model of a job.

Cancel and retry decide on this, never on the read model, and append against `version`: a
job completed or cancelled a moment ago is seen as such, and of two racing commands one wins.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from contracts import JobCancelled, JobCompleted, JobCreated, JobRetried, RecordedEvent


@dataclass
class JobHistory:
    version: int = 0
    created: JobCreated | None = None
    cancelled: JobCancelled | None = None
    completed: JobCompleted | None = None
    """The latest completion, until a retry reopens the job."""

    @property
    def status(self) -> str:
        if self.cancelled is not None:
            return "cancelled"
        return self.completed.status if self.completed is not None else "running"

    def cancel_refusal(self) -> str | None:
        """Why the job cannot be cancelled now, or None when it can."""
        if self.cancelled is not None or self.completed is not None:
            return f"the job is already {self.status} (job stream at version {self.version})"
        return None

    def retry_refusal(self) -> str | None:
        if self.cancelled is not None:
            return f"the job was cancelled (job stream at version {self.version})"
        return None


def fold_job(events: Iterable[RecordedEvent]) -> JobHistory:
    history = JobHistory()
    for recorded in events:
        history.version = recorded.stream_version
        data = recorded.data
        if isinstance(data, JobCreated):
            history.created = data
        elif isinstance(data, JobCancelled):
            history.cancelled = data
        elif isinstance(data, JobCompleted):
            history.completed = data
        elif isinstance(data, JobRetried):
            history.completed = None
    return history
