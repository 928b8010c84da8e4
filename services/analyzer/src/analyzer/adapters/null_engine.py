"""NullEngine: an instant, deterministic stand-in for benchmarks and pipeline tests only.

Its text says what it is, so a page analyzed by it can never pass for a real transcription.
"""

from __future__ import annotations

from datetime import UTC, datetime

from analyzer.application.ports import PageInput
from analyzer.domain.geometry import Scaling
from contracts import EngineInfo, EngineStep, Line, PageAnalysis, PageImage, Region, Stage, Word

NULL_TEXT = "null engine output"


class NullEngine:
    name = "null"

    async def analyze(self, page: PageInput, step: EngineStep, prompt: str | None) -> PageAnalysis:
        scaling = Scaling(page.derivative, page.master)
        width, height = page.derivative.width, page.derivative.height
        # One region on the middle of the page, one line, one word per token of NULL_TEXT.
        left, top, right, bottom = width * 0.1, height * 0.1, width * 0.9, height * 0.2
        tokens = NULL_TEXT.split()
        step_width = (right - left) / len(tokens)
        words = [
            Word(
                id=f"word_{i + 1}",
                text=token,
                bbox=scaling.corners(
                    left + i * step_width, top, left + (i + 1) * step_width, bottom
                ),
                confidence=1.0,
            )
            for i, token in enumerate(tokens)
        ]
        line = Line(
            id="line_1",
            text=NULL_TEXT,
            bbox=scaling.corners(left, top, right, bottom),
            baseline=scaling.points([(round(left), round(bottom)), (round(right), round(bottom))]),
            confidence=1.0,
            words=words,
        )
        region = Region(id="region_1", bbox=line.bbox, lines=[line])
        return PageAnalysis(
            page_id=page.page_id,
            image=PageImage(
                width=page.master.width, height=page.master.height, sha256=page.master_sha256
            ),
            regions=[region],
            reading_order=[region.id],
            languages=list(step.languages),
            engine=EngineInfo(name=self.name, version="0", model="none"),
            created_at=datetime.now(UTC),
            duration_ms=0.0,
        )

    async def run_stage(self, page: PageInput, stage: Stage, prompt: str) -> str:
        """Echo the prompt: lets tests see exactly what a stage was asked."""
        return f"[null stage {stage.name}] {prompt}"
