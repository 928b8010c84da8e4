"""Handler: analyze one page with its plan, and say what happened as page events."""

from __future__ import annotations

import time

import anyio

from analyzer.application.attempts import AttemptLog, run_plan
from analyzer.application.plans import validate_plan
from analyzer.application.ports import AnalyzerPorts, PageInput
from analyzer.application.profiles import CorpusProfile
from analyzer.application.stages import run_stages
from analyzer.domain.geometry import Size
from contracts import (
    ArtifactRef,
    EngineStep,
    Event,
    PageAnalysis,
    PageAnalysisFailed,
    PageAnalysisRequested,
    PageAnalysisStarted,
    PageAnalyzed,
    PageImageNormalized,
    Plan,
    page_stream,
)
from contracts.errors import AnalysisError, ContractError, RectoError, UnparseableResponse
from infra.artifacts import read_artifact

Emitted = list[tuple[str, Event]]


async def analyze_page(
    event: PageImageNormalized | PageAnalysisRequested, ports: AnalyzerPorts, *, delivery: int = 1
) -> Emitted:
    """Run the page's plan; return started/stage/analyzed events, or a failure event.

    `delivery` is the message's delivery count; a failure whose error is retryable comes back
    with `final=False`, so the runtime may redeliver instead of giving up on the page.
    """
    stream = page_stream(event.page_id)
    started = time.perf_counter()
    if isinstance(event, PageImageNormalized):
        normalized: PageImageNormalized | None = event
        plan = await ports.plans.plan_for(event.page_id, event.job_id)
    else:
        normalized, plan = await ports.page_images.normalized(event.page_id), event.plan
    if normalized is None:
        reason = "the page has no normalised image yet"
        return [(stream, _failed(event, AnalysisError(reason), delivery, final=True))]
    profile_name = (plan.profile if plan else None) or "default"
    profile = ports.profiles.get(profile_name)
    if profile is None:
        error = ContractError(f"unknown corpus profile {profile_name!r}")
        return [(stream, _failed(event, error, delivery, final=True))]
    plan = plan or profile.plan()
    if problems := validate_plan(plan, ports.templates):
        error = ContractError("invalid plan: " + "; ".join(problems))
        return [(stream, _failed(event, error, delivery, final=True))]

    page = await _page_input(normalized, profile, ports)
    log, attempts_started = await _run_attempts(plan, page, ports, profile, event)
    emitted: Emitted = [(stream, started_event) for started_event in attempts_started]
    analysis, kept = log.result, log.kept
    if analysis is None:
        last = log.last_error or AnalysisError("no engine produced a result")
        final = not last.retryable
        return [*emitted, (stream, _failed(event, last, delivery, final=final))]
    stages = await run_stages(plan, analysis, page, ports, event)
    emitted += [(stream, completed) for completed in stages.completed]
    if stages.failure is not None:
        cause = stages.failure.error
        return [*emitted, (stream, _failed(event, cause, delivery, final=not cause.retryable))]
    analysis = stages.analysis

    duration_ms = (time.perf_counter() - started) * 1000
    analysis = analysis.model_copy(update={"page_id": str(event.page_id)})
    ref = await anyio.to_thread.run_sync(_store_analysis, ports, analysis)
    analyzed = PageAnalyzed(
        page_id=event.page_id,
        job_id=event.job_id,
        analysis=ref,
        engine=analysis.engine.name,
        engine_version=analysis.engine.version,
        mean_confidence=analysis.mean_confidence(),
        scores=analysis.scores,
        duration_ms=duration_ms,
        attempts=[attempt.step.engine for attempt in log.attempts],
        candidates=kept.candidates if kept else [],
    )
    return [*emitted, (stream, analyzed)]


def record_final_failure(
    event: PageImageNormalized | PageAnalysisRequested, reason: str, attempt: int
) -> Emitted:
    """What the runtime appends after the last delivery of a message failed unexpectedly."""
    failed = PageAnalysisFailed(
        page_id=event.page_id,
        job_id=event.job_id,
        code=AnalysisError.code,
        reason=reason,
        attempt=attempt,
        final=True,
    )
    return [(page_stream(event.page_id), failed)]


async def _run_attempts(
    plan: Plan,
    page: PageInput,
    ports: AnalyzerPorts,
    profile: CorpusProfile,
    event: PageImageNormalized | PageAnalysisRequested,
) -> tuple[AttemptLog, list[PageAnalysisStarted]]:
    """The plan's attempts, and a started event for each, in the order they ran."""
    started: list[PageAnalysisStarted] = []

    def on_start(step: EngineStep, number: int) -> None:
        started.append(
            PageAnalysisStarted(
                page_id=event.page_id, job_id=event.job_id, engine=step.engine, attempt=number
            )
        )

    return await run_plan(plan, page, ports, profile, on_start), started


async def _page_input(
    normalized: PageImageNormalized, profile: CorpusProfile, ports: AnalyzerPorts
) -> PageInput:
    image = await read_artifact(ports.artifacts, normalized.derivative)
    return PageInput(
        image=image,
        image_sha256=normalized.derivative.sha256,
        derivative=Size(normalized.derivative.width, normalized.derivative.height),
        master=Size(normalized.master.width, normalized.master.height),
        page_id=str(normalized.page_id),
        master_sha256=normalized.master.sha256,
        variables={"page_id": str(normalized.page_id), "source_url": normalized.source_url},
        resolution=normalized.resolution,
    )


def _store_analysis(ports: AnalyzerPorts, analysis: PageAnalysis) -> ArtifactRef:
    return ports.artifacts.put(analysis.model_dump_json().encode("utf-8"), PageAnalysis.media_type)


def _failed(
    event: PageImageNormalized | PageAnalysisRequested,
    error: RectoError,
    delivery: int,
    *,
    final: bool,
) -> PageAnalysisFailed:
    return PageAnalysisFailed(
        page_id=event.page_id,
        job_id=event.job_id,
        code=error.code,
        reason=f"{type(error).__name__}: {error}",
        attempt=delivery,
        final=final,
        raw_response=error.raw_response if isinstance(error, UnparseableResponse) else None,
    )
