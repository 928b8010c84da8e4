"""Stages say what their output is (kind) and in which language, so that exports can say it."""

from datetime import UTC, datetime
from uuid import uuid4

import pytest
from pydantic import ValidationError

from contracts import (
    EngineInfo,
    JobCreated,
    PageAnalysis,
    PageImage,
    Stage,
    StageOutput,
    decode_event,
)


def test_a_version_2_plan_is_read_as_version_3_with_kinds_from_the_names() -> None:
    job_id = uuid4()
    stages = [
        {"name": "translation", "engine": "vlm", "prompt": "Translate: {{ text }}"},
        {"name": "english", "engine": "vlm", "prompt": "Translate: {{ text }}"},
    ]
    event = decode_event(
        "job.created",
        2,
        {"job_id": str(job_id), "kind": "analyze", "plan": {"stages": stages}},
    )

    assert isinstance(event, JobCreated)
    assert [(s.kind, s.language) for s in event.plan.stages] == [(None, None), (None, None)]
    assert [s.output_kind() for s in event.plan.stages] == ["translation", "other"]


def test_a_stage_s_own_kind_wins_over_its_name() -> None:
    stage = Stage(name="english", engine="vlm", prompt="p", kind="translation", language="en")
    assert stage.output_kind() == "translation"
    assert Stage(name="commentary", engine="vlm", prompt="p").output_kind() == "commentary"


@pytest.mark.parametrize("tag", ["en_US", "english language", "", "toolongtag-x"])
def test_a_language_is_a_bcp_47_tag(tag: str) -> None:
    with pytest.raises(ValidationError, match="language"):
        Stage(name="translation", engine="vlm", prompt="p", language=tag)


def test_an_analysis_stored_before_kinds_reads_its_stage_outputs_by_name() -> None:
    stored = PageAnalysis(
        image=PageImage(width=10, height=10),
        engine=EngineInfo(name="vlm"),
        created_at=datetime(2024, 1, 1, tzinfo=UTC),
        stages=[StageOutput(name="summary", output="A letter.", engine=EngineInfo(name="vlm"))],
    ).model_dump(mode="json")
    for stage in stored["stages"]:
        del stage["kind"], stage["language"]

    analysis = PageAnalysis.model_validate(stored)

    assert [(s.output_kind(), s.language) for s in analysis.stages] == [("summary", None)]
