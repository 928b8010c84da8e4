"""The job aggregate: one request to import, analyze, export or reprocess a set of pages."""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

from pydantic import Field

from contracts.base import Command, Contract, Event
from contracts.page import PageStage
from contracts.plan import Plan
from contracts.upcasting import upcaster

JobKind = Literal["import", "analyze", "export", "reprocess"]


class SubmitJob(Command):
    kind: JobKind
    corpus_id: UUID | None = None
    manuscript_id: UUID | None = None
    page_ids: list[UUID] = Field(default_factory=list)
    plan: Plan = Plan()


class JobCreated(Event):
    type = "job.created"
    schema_version = 3

    job_id: UUID
    kind: JobKind
    corpus_id: UUID | None = None
    manuscript_id: UUID | None = None
    page_ids: list[UUID] = Field(default_factory=list)
    plan: Plan


@upcaster("job.created", 1)
def upcast_job_created_v1_v2(data: dict[str, Any]) -> dict[str, Any]:
    """Version 2's plan steps may name candidates; a version 1 plan has none, and is valid."""
    return data


@upcaster("job.created", 2)
def upcast_job_created_v2_v3(data: dict[str, Any]) -> dict[str, Any]:
    """Version 3's stages may say their kind and language; a version 2 stage says neither,
    and is valid."""
    return data


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
    schema_version = 2

    job_id: UUID
    status: Literal["done", "failed"]
    summary: JobSummary
    reason: str | None = Field(
        default=None,
        description="why a failed job failed beyond its pages, e.g. its import was refused",
    )


@upcaster("job.completed", 1)
def upcast_job_completed_v1_v2(data: dict[str, Any]) -> dict[str, Any]:
    """Version 1 had no reason: a failed job's reasons were only its pages'."""
    return {**data, "reason": None}


class JobCancelled(Event):
    type = "job.cancelled"

    job_id: UUID
    reason: str | None = None


class RetriedPage(Contract):
    page_id: UUID
    stage: PageStage = Field(description="the stage the page runs again from")


class JobRetried(Event):
    """The job's failed pages run again, each from the stage where it failed."""

    type = "job.retried"

    job_id: UUID
    pages: list[RetriedPage] = Field(min_length=1)
