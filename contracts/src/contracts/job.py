"""The job aggregate: one request to import, analyse, export or reprocess a set of pages."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import Field

from contracts.base import Command, Contract, Event
from contracts.plan import Plan

JobKind = Literal["import", "analyze", "export", "reprocess"]


class SubmitJob(Command):
    kind: JobKind
    corpus_id: UUID | None = None
    manuscript_id: UUID | None = None
    page_ids: list[UUID] = Field(default_factory=list)
    plan: Plan = Plan()


class JobCreated(Event):
    type = "job.created"

    job_id: UUID
    kind: JobKind
    corpus_id: UUID | None = None
    manuscript_id: UUID | None = None
    page_ids: list[UUID] = Field(default_factory=list)
    plan: Plan


class FailedPage(Contract):
    page_id: UUID
    stage: str
    reason: str


class JobSummary(Contract):
    pages: int = Field(ge=0)
    exported: int = Field(ge=0)
    failed: int = Field(ge=0)
    failures: list[FailedPage] = Field(default_factory=list)


class JobCompleted(Event):
    type = "job.completed"

    job_id: UUID
    status: Literal["done", "failed"]
    summary: JobSummary


class JobCancelled(Event):
    type = "job.cancelled"

    job_id: UUID
    reason: str | None = None
