"""Further stages (translation, summary, commentary…) run after the transcription.

A stage's prompt sees the page's variables, the transcription (`text`), every earlier
stage (`stages[0].output`…) and the one just before it (`prev_output`, the transcription for
the first stage).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import anyio

from analyzer.application.ports import AnalyzerPorts, PageInput
from analyzer.application.prompts import prompt_hash
from contracts import (
    EngineInfo,
    PageAnalysis,
    PageAnalysisRequested,
    PageAnalysisStageCompleted,
    PageImageNormalized,
    Plan,
    StageOutput,
)
from contracts.errors import EngineFailed, RectoError, StageFailed

STAGE_OUTPUT_MEDIA_TYPE = "text/plain; charset=utf-8"


@dataclass(frozen=True)
class StagesRun:
    """What the stages produced: the enriched analysis, a completion event per stage that
    finished, and the failure that stopped the rest, if one did."""

    analysis: PageAnalysis
    completed: list[PageAnalysisStageCompleted]
    failure: StageFailed | None = None


async def run_stages(
    plan: Plan,
    analysis: PageAnalysis,
    page: PageInput,
    ports: AnalyzerPorts,
    event: PageImageNormalized | PageAnalysisRequested,
) -> StagesRun:
    """Run every stage in order; stop at the first that fails."""
    outputs: list[StageOutput] = []
    completed: list[PageAnalysisStageCompleted] = []
    transcription = analysis.text()
    for stage in plan.stages:
        started = time.perf_counter()
        engine = ports.stage_engines.get(stage.engine)
        try:
            if engine is None:
                raise EngineFailed(f"stage engine {stage.engine!r} is not configured")
            context: dict[str, Any] = {
                **page.variables,
                "text": transcription,
                "languages": analysis.languages,
                "stages": [{"name": o.name, "output": o.output} for o in outputs],
                "prev_output": outputs[-1].output if outputs else transcription,
            }
            prompt = ports.templates.render(stage.prompt, context)
            output = await engine.run_stage(page, stage, prompt)
        except RectoError as error:
            return StagesRun(analysis, completed, StageFailed(stage.name, error))
        ref = await anyio.to_thread.run_sync(
            ports.artifacts.put, output.encode("utf-8"), STAGE_OUTPUT_MEDIA_TYPE
        )
        info = EngineInfo(
            name=stage.engine,
            model=stage.model,
            parameters=stage.params,
            prompt_hash=prompt_hash(prompt),
        )
        outputs.append(
            StageOutput(
                name=stage.name,
                output=output,
                engine=info,
                kind=stage.output_kind(),
                language=stage.language,
            )
        )
        completed.append(
            PageAnalysisStageCompleted(
                page_id=event.page_id,
                job_id=event.job_id,
                stage=stage.name,
                engine=stage.engine,
                output=ref,
                duration_ms=(time.perf_counter() - started) * 1000,
            )
        )
    if outputs:
        analysis = analysis.model_copy(update={"stages": [*analysis.stages, *outputs]})
    return StagesRun(analysis, completed)
