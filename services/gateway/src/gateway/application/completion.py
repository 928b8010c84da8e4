"""Record `job.completed` once per finished job, however many gateway replicas notice it.

The append expects the job stream at the version the read model last saw: when two replicas
race, one appends and the other gets `WrongExpectedVersion`, which only means "already done".
"""

from __future__ import annotations

import logging

from contracts import JobCompleted, Metadata, job_stream
from contracts.errors import WrongExpectedVersion
from gateway.application.ports import ReadModelQueries
from gateway.domain.jobs import summarise
from infra.eventstore import EventStore

log = logging.getLogger(__name__)


async def complete_finished_jobs(store: EventStore, read_models: ReadModelQueries) -> int:
    """Append `job.completed` for every finished job; returns how many this call recorded."""
    recorded = 0
    for job in await read_models.jobs_due():
        status, summary, reason = summarise(job, await read_models.job_pages(job.job_id))
        event = JobCompleted(job_id=job.job_id, status=status, summary=summary, reason=reason)
        try:
            await store.append(
                job_stream(job.job_id),
                [event],
                expected_version=job.version,
                metadata=Metadata(correlation_id=job.job_id, actor="gateway"),
            )
        except WrongExpectedVersion:
            log.debug("job %s completed elsewhere or changed meanwhile", job.job_id)
            continue
        recorded += 1
    return recorded
