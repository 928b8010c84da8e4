"""Further stages (translation, summary, commentary…) run after the transcription.

A stage's prompt sees the page's variables, the transcription (`text`), every earlier
stage (`stages[0].output`…) and the one just before it (`prev_output`, the transcription for
the first stage).
"""

from __future__ import annotations

import time
from typing import Any

import anyio

from analyzer.application.ports import AnalyzerPorts, PageInput
from analyzer.application.prompts import prompt_hash
from contracts import (
    EngineInfo,
    Event,
    PageAnalysis,
    PageAnalysisRequested,
    PageAnalysisStageCompleted,
    PageImageNormalized,
    Plan,
    StageOutput,
    page_stream,
)
from contracts.errors import EngineFailed, RectoError

STAGE_OUTPUT_MEDIA_TYPE = "text/plain; charset=utf-8"


class StageFailed(Exception):
    def __init__(self, stage: str, error: RectoError) -> None:
        super().__init__(f"stage {stage!r} failed: {error}")
        self.error = error


async def run_stages(
    plan: Plan,
    analysis: PageAnalysis,
    page: PageInput,
    ports: AnalyzerPorts,
    event: PageImageNormalized | PageAnalysisRequested,
    emitted: list[tuple[str, Event]],
) -> PageAnalysis:
    """Run every stage in order, appending a stage event each; return the enriched analysis."""
    outputs: list[StageOutput] = []
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
            raise StageFailed(stage.name, error) from error
        ref = await anyio.to_thread.run_sync(
            ports.artifacts.put, output.encode("utf-8"), STAGE_OUTPUT_MEDIA_TYPE
        )
        info = EngineInfo(
            name=stage.engine,
            model=stage.model,
            parameters=stage.params,
            prompt_hash=prompt_hash(prompt),
        )
        outputs.append(StageOutput(name=stage.name, output=output, engine=info))
        emitted.append(
            (
                page_stream(event.page_id),
                PageAnalysisStageCompleted(
                    page_id=event.page_id,
                    job_id=event.job_id,
                    stage=stage.name,
                    engine=stage.engine,
                    output=ref,
                    duration_ms=(time.perf_counter() - started) * 1000,
                ),
            )
        )
    return (
        analysis.model_copy(update={"stages": [*analysis.stages, *outputs]})
        if outputs
        else analysis
    )
