import json

from analyzer.application.analyze_page import analyze_page, record_final_failure
from analyzer.application.in_memory import InMemoryPageImages, StaticPlanSource
from analyzer.testing import (
    FakeEngine,
    FakeStageEngine,
    analysis_with,
    normalized_page,
    ports_with,
)
from contracts import (
    Candidate,
    EngineStep,
    PageAnalysis,
    PageAnalysisFailed,
    PageAnalysisRequested,
    PageAnalysisStageCompleted,
    PageAnalysisStarted,
    PageAnalyzed,
    Plan,
    Stage,
    page_stream,
)
from contracts.errors import EngineFailed, UnparseableResponse
from infra.artifacts import InMemoryArtifactStore


def kinds(emitted: list) -> list[str]:
    return [event.type for _, event in emitted]


async def test_a_confident_primary_result_is_stored_and_announced() -> None:
    artifacts = InMemoryArtifactStore()
    page = normalized_page(artifacts)
    tesseract = FakeEngine(
        "tesseract", analysis_with("Berliniſche Monatsſchrift", 0.93, "tesseract")
    )

    emitted = await analyze_page(page, ports_with(artifacts, [tesseract]))

    assert kinds(emitted) == ["page.analysis_started", "page.analyzed"]
    assert {stream for stream, _ in emitted} == {page_stream(page.page_id)}
    analyzed = emitted[-1][1]
    assert isinstance(analyzed, PageAnalyzed)
    assert analyzed.attempts == ["tesseract"]
    assert analyzed.mean_confidence == 0.93
    assert analyzed.scores["mean_word_confidence"] == 0.93
    assert analyzed.analysis.media_type == PageAnalysis.media_type
    stored = PageAnalysis.model_validate_json(artifacts.get(analyzed.analysis))
    assert stored.text() == "Berliniſche Monatsſchrift"
    assert stored.page_id == str(page.page_id)
    # The default profile asks for English when the plan names no language.
    assert tesseract.calls[0][0].languages == ["eng"]


async def test_low_confidence_falls_back_and_keeps_the_fallbacks_result() -> None:
    artifacts = InMemoryArtifactStore()
    page = normalized_page(artifacts)
    tesseract = FakeEngine("tesseract", analysis_with("Qi me rnetroit", 0.41, "tesseract"))
    vlm = FakeEngine("vlm", analysis_with("Qⁱ me metroit", 0.97, "vlm"))
    plan = Plan(
        primary=EngineStep(engine="tesseract", languages=["fra", "lat"]),
        fallbacks=[EngineStep(engine="vlm", when="mean_confidence < 0.6")],
        profile="medieval-textual",
    )
    ports = ports_with(artifacts, [tesseract, vlm], plans=StaticPlanSource({page.job_id: plan}))

    emitted = await analyze_page(page, ports)

    started = [e for _, e in emitted if isinstance(e, PageAnalysisStarted)]
    assert [(s.engine, s.attempt) for s in started] == [("tesseract", 1), ("vlm", 2)]
    analyzed = emitted[-1][1]
    assert isinstance(analyzed, PageAnalyzed)
    assert (analyzed.engine, analyzed.attempts) == ("vlm", ["tesseract", "vlm"])
    assert (
        PageAnalysis.model_validate_json(artifacts.get(analyzed.analysis)).text() == "Qⁱ me metroit"
    )
    # The VLM got the profile's prompt, rendered with the profile's languages.
    step, prompt = vlm.calls[0]
    assert step.prompt == "transcribe-manuscript"
    assert prompt is not None
    assert "medieval manuscript in lat / fra" in prompt


async def test_a_failed_fallback_keeps_the_earlier_result() -> None:
    artifacts = InMemoryArtifactStore()
    page = normalized_page(artifacts)
    tesseract = FakeEngine("tesseract", analysis_with("faint text", 0.3, "tesseract"))
    vlm = FakeEngine("vlm", EngineFailed("HTTP 503 after 4 attempts"))
    plan = Plan(fallbacks=[EngineStep(engine="vlm", when="mean_confidence < 0.6")])
    ports = ports_with(artifacts, [tesseract, vlm], plans=StaticPlanSource({page.job_id: plan}))

    emitted = await analyze_page(page, ports)

    analyzed = emitted[-1][1]
    assert isinstance(analyzed, PageAnalyzed)
    assert (analyzed.engine, analyzed.attempts) == ("tesseract", ["tesseract", "vlm"])


async def test_when_every_engine_fails_the_last_error_is_the_failure() -> None:
    artifacts = InMemoryArtifactStore()
    page = normalized_page(artifacts)
    raw = artifacts.put(b"I am sorry, I cannot help with that.", "application/json")
    tesseract = FakeEngine("tesseract", EngineFailed("no Tesseract language data for ['grc']"))
    vlm = FakeEngine(
        "vlm", UnparseableResponse("the answer holds no JSON object", raw_response=raw)
    )
    plan = Plan(fallbacks=[EngineStep(engine="vlm")])  # no condition: runs on an engine error
    ports = ports_with(artifacts, [tesseract, vlm], plans=StaticPlanSource({page.job_id: plan}))

    emitted = await analyze_page(page, ports, delivery=3)

    assert kinds(emitted) == [
        "page.analysis_started",
        "page.analysis_started",
        "page.analysis_failed",
    ]
    failed = emitted[-1][1]
    assert isinstance(failed, PageAnalysisFailed)
    assert (failed.code, failed.attempt, failed.final) == ("unparseable-response", 3, True)
    assert failed.raw_response == raw
    assert "no JSON object" in failed.reason


async def test_a_retryable_engine_failure_is_not_final() -> None:
    artifacts = InMemoryArtifactStore()
    page = normalized_page(artifacts)
    ports = ports_with(artifacts, [FakeEngine("tesseract", EngineFailed("timed out"))])

    failed = (await analyze_page(page, ports))[-1][1]

    assert isinstance(failed, PageAnalysisFailed)
    assert (failed.code, failed.final) == ("engine-failed", False)


async def test_stages_see_the_transcription_and_earlier_stages_in_order() -> None:
    artifacts = InMemoryArtifactStore()
    page = normalized_page(artifacts)
    tesseract = FakeEngine("tesseract", analysis_with("Was ist Aufklaͤrung", 0.9, "tesseract"))
    llm = FakeStageEngine("vlm", lambda stage, prompt: f"<{stage.name} of: {prompt}>")
    plan = Plan(
        stages=[
            Stage(
                name="translation",
                engine="vlm",
                prompt="Translate: {{ prev_output }}",
                language="en",
            ),
            Stage(
                name="abstract",
                engine="vlm",
                prompt="Summarise {{ stages[0].output }} ({{ page_id }})",
                kind="summary",
            ),
        ]
    )
    requested = PageAnalysisRequested(page_id=page.page_id, job_id=page.job_id, plan=plan)
    images = InMemoryPageImages()
    images.add(page)

    emitted = await analyze_page(
        requested, ports_with(artifacts, [tesseract], [llm], images=images)
    )

    assert kinds(emitted) == [
        "page.analysis_started",
        "page.analysis_stage_completed",
        "page.analysis_stage_completed",
        "page.analyzed",
    ]
    assert llm.prompts[0] == "Translate: Was ist Aufklaͤrung"
    assert (
        llm.prompts[1]
        == f"Summarise <translation of: Translate: Was ist Aufklaͤrung> ({page.page_id})"
    )
    completed = [e for _, e in emitted if isinstance(e, PageAnalysisStageCompleted)]
    assert [c.stage for c in completed] == ["translation", "abstract"]
    assert artifacts.get(completed[1].output).decode() == f"<abstract of: {llm.prompts[1]}>"
    stored = PageAnalysis.model_validate_json(artifacts.get(emitted[-1][1].analysis))
    # Each output says what it is and its language, for the exports to say it.
    assert [(s.name, s.output, s.kind, s.language) for s in stored.stages] == [
        ("translation", f"<translation of: {llm.prompts[0]}>", "translation", "en"),
        ("abstract", f"<abstract of: {llm.prompts[1]}>", "summary", None),
    ]


async def test_a_stage_whose_template_fails_fails_the_page() -> None:
    artifacts = InMemoryArtifactStore()
    page = normalized_page(artifacts)
    plan = Plan(
        stages=[Stage(name="summary", engine="vlm", prompt="Summarise {{ stages[3].output }}")]
    )
    ports = ports_with(
        artifacts,
        [FakeEngine("tesseract", analysis_with("text", 0.9, "tesseract"))],
        [FakeStageEngine("vlm", lambda stage, prompt: "never")],
        plans=StaticPlanSource({page.job_id: plan}),
    )

    emitted = await analyze_page(page, ports)

    failed = emitted[-1][1]
    assert isinstance(failed, PageAnalysisFailed)
    assert failed.code == "contract-error"
    assert "failed to render" in failed.reason


async def test_a_stage_that_fails_after_another_keeps_the_events_so_far_and_may_retry() -> None:
    artifacts = InMemoryArtifactStore()
    page = normalized_page(artifacts)
    plan = Plan(
        stages=[
            Stage(name="translation", engine="vlm", prompt="Translate {{ text }}"),
            Stage(name="summary", engine="vlm", prompt="Summarize {{ prev_output }}"),
        ]
    )

    def answer(stage: Stage, prompt: str) -> str:
        if stage.name == "summary":
            raise EngineFailed("HTTP 503 after 4 attempts")
        return "translated"

    ports = ports_with(
        artifacts,
        [FakeEngine("tesseract", analysis_with("text", 0.9, "tesseract"))],
        [FakeStageEngine("vlm", answer)],
        plans=StaticPlanSource({page.job_id: plan}),
    )

    emitted = await analyze_page(page, ports)

    kinds = [type(event).__name__ for _, event in emitted]
    assert kinds == ["PageAnalysisStarted", "PageAnalysisStageCompleted", "PageAnalysisFailed"]
    failed = emitted[-1][1]
    assert isinstance(failed, PageAnalysisFailed)
    assert (failed.code, failed.final) == ("engine-failed", False)
    assert {stream for stream, _ in emitted} == {page_stream(page.page_id)}


async def test_an_invalid_plan_fails_the_page_without_running_an_engine() -> None:
    artifacts = InMemoryArtifactStore()
    page = normalized_page(artifacts)
    tesseract = FakeEngine("tesseract", analysis_with("text", 0.9, "tesseract"))
    plan = Plan(fallbacks=[EngineStep(engine="vlm", when="confidence < 0.6")])
    ports = ports_with(artifacts, [tesseract], plans=StaticPlanSource({page.job_id: plan}))

    emitted = await analyze_page(page, ports)

    assert kinds(emitted) == ["page.analysis_failed"]
    assert "fallbacks[0].when" in emitted[0][1].reason
    assert tesseract.calls == []


async def test_a_requested_analysis_of_a_page_without_image_fails() -> None:
    artifacts = InMemoryArtifactStore()
    page = normalized_page(artifacts)
    requested = PageAnalysisRequested(page_id=page.page_id, job_id=page.job_id, plan=Plan())

    emitted = await analyze_page(requested, ports_with(artifacts, []))

    failed = emitted[0][1]
    assert isinstance(failed, PageAnalysisFailed)
    assert (failed.code, failed.final) == ("analysis-error", True)


async def test_an_engine_missing_from_this_analyzer_is_an_engine_error() -> None:
    artifacts = InMemoryArtifactStore()
    page = normalized_page(artifacts)
    plan = Plan(primary=EngineStep(engine="vlm"))

    emitted = await analyze_page(
        page, ports_with(artifacts, [], plans=StaticPlanSource({page.job_id: plan}))
    )

    failed = emitted[-1][1]
    assert isinstance(failed, PageAnalysisFailed)
    assert "not configured" in failed.reason
    assert failed.final is True


def test_the_final_failure_after_the_last_delivery() -> None:
    page = normalized_page(InMemoryArtifactStore())

    ((stream, failed),) = record_final_failure(page, "worker crashed: MemoryError", 5)

    assert stream == page_stream(page.page_id)
    assert isinstance(failed, PageAnalysisFailed)
    assert json.loads(failed.model_dump_json())["final"] is True
    assert (failed.reason, failed.attempt) == ("worker crashed: MemoryError", 5)


async def test_a_stage_timing_out_is_a_retryable_failure() -> None:
    artifacts = InMemoryArtifactStore()
    page = normalized_page(artifacts)
    plan = Plan(stages=[Stage(name="summary", engine="vlm", prompt="Summarise {{ text }}")])

    def timing_out(stage: Stage, prompt: str) -> str:
        raise EngineFailed("VLM openai failed after 4 attempts: timed out after 120 s")

    ports = ports_with(
        artifacts,
        [FakeEngine("tesseract", analysis_with("text", 0.9, "tesseract"))],
        [FakeStageEngine("vlm", timing_out)],
        plans=StaticPlanSource({page.job_id: plan}),
    )

    failed = (await analyze_page(page, ports))[-1][1]

    assert isinstance(failed, PageAnalysisFailed)
    assert (failed.code, failed.final) == ("engine-failed", False)


def by_languages(answers: dict[str, PageAnalysis | Exception]) -> FakeEngine:
    return FakeEngine("tesseract", lambda step: answers["+".join(step.languages)])


async def test_the_candidate_its_scorer_rates_highest_is_kept_and_every_one_recorded() -> None:
    artifacts = InMemoryArtifactStore()
    page = normalized_page(artifacts)
    tesseract = by_languages(
        {
            "deu+frk": analysis_with("Berliniſche Monatsſchrift", 0.86, "tesseract"),
            "frk": analysis_with("Berliniſche Monatsfchrift", 0.82, "tesseract"),
        }
    )
    plan = Plan(
        primary=EngineStep(
            engine="tesseract",
            candidates=[Candidate(languages=["frk"]), Candidate(languages=["deu", "frk"])],
        )
    )
    ports = ports_with(artifacts, [tesseract], plans=StaticPlanSource({page.job_id: plan}))

    emitted = await analyze_page(page, ports)

    # One attempt: the candidates are one step, run one after the other.
    assert kinds(emitted) == ["page.analysis_started", "page.analyzed"]
    assert [step.languages for step, _ in tesseract.calls] == [["frk"], ["deu", "frk"]]
    analyzed = emitted[-1][1]
    assert isinstance(analyzed, PageAnalyzed)
    assert analyzed.mean_confidence == 0.86
    assert [(c.languages, c.chosen) for c in analyzed.candidates] == [
        (["frk"], False),
        (["deu", "frk"], True),
    ]
    assert [c.scores["mean_word_confidence"] for c in analyzed.candidates] == [0.82, 0.86]
    stored = PageAnalysis.model_validate_json(artifacts.get(analyzed.analysis))
    assert stored.text() == "Berliniſche Monatsſchrift"


async def test_any_scorer_may_choose_and_a_tie_goes_to_the_first_candidate() -> None:
    artifacts = InMemoryArtifactStore()
    page = normalized_page(artifacts)
    tesseract = by_languages(
        {
            "deu": analysis_with("wie es ſcheint", 0.9, "tesseract"),
            "frk": analysis_with("wie es ſcheint", 0.9, "tesseract"),
            "lat": analysis_with("w1e e$ §che1nt", 0.95, "tesseract"),
        }
    )
    step = EngineStep(
        engine="tesseract",
        choose_by="dictionary_like",
        candidates=[Candidate(languages=[code]) for code in ("lat", "frk", "deu")],
    )
    ports = ports_with(
        artifacts, [tesseract], plans=StaticPlanSource({page.job_id: Plan(primary=step)})
    )

    analyzed = (await analyze_page(page, ports))[-1][1]

    assert isinstance(analyzed, PageAnalyzed)
    # "lat" is the most confident, but its words are not word-like: frk and deu tie, frk first.
    assert [c.languages for c in analyzed.candidates if c.chosen] == [["frk"]]


async def test_a_failing_candidate_is_recorded_and_never_kept() -> None:
    artifacts = InMemoryArtifactStore()
    page = normalized_page(artifacts)
    tesseract = by_languages(
        {
            "deu": EngineFailed("no Tesseract language data for ['deu']"),
            "frk": analysis_with("Ideen zur Philoſophie", 0.31, "tesseract"),
        }
    )
    step = EngineStep(
        engine="tesseract", candidates=[Candidate(languages=["deu"]), Candidate(languages=["frk"])]
    )
    ports = ports_with(
        artifacts, [tesseract], plans=StaticPlanSource({page.job_id: Plan(primary=step)})
    )

    analyzed = (await analyze_page(page, ports))[-1][1]

    assert isinstance(analyzed, PageAnalyzed)
    failed, kept = analyzed.candidates
    assert (failed.chosen, kept.chosen) == (False, True)
    assert failed.error is not None
    assert "language data" in failed.error
    assert failed.scores == {}


async def test_a_step_whose_candidates_all_fail_fails_like_a_step() -> None:
    artifacts = InMemoryArtifactStore()
    page = normalized_page(artifacts)
    tesseract = FakeEngine("tesseract", EngineFailed("tesseract cannot read the page image"))
    step = EngineStep(
        engine="tesseract", candidates=[Candidate(languages=["deu"]), Candidate(languages=["frk"])]
    )
    ports = ports_with(
        artifacts, [tesseract], plans=StaticPlanSource({page.job_id: Plan(primary=step)})
    )

    emitted = await analyze_page(page, ports)

    failed = emitted[-1][1]
    assert isinstance(failed, PageAnalysisFailed)
    assert "cannot read the page image" in failed.reason
    assert len(tesseract.calls) == 2


async def test_the_declared_resolution_reaches_the_engine() -> None:
    artifacts = InMemoryArtifactStore()
    page = normalized_page(artifacts).model_copy(update={"resolution": 177.5})
    seen: list[float | None] = []

    class Recording(FakeEngine):
        async def analyze(self, page, step, prompt):  # type: ignore[no-untyped-def]
            seen.append(page.resolution)
            return await super().analyze(page, step, prompt)

    engine = Recording("tesseract", analysis_with("Text", 0.9, "tesseract"))

    await analyze_page(page, ports_with(artifacts, [engine]))

    assert seen == [177.5]
