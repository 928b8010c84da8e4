import pytest

from analyzer.application.plans import validate_plan
from analyzer.application.profiles import load_profile, load_profiles
from analyzer.application.prompts import PromptTemplates
from contracts import Candidate, EngineStep, Plan, Stage
from contracts.errors import ContractError

PROFILES = [
    "default",
    "early-modern-print",
    "german-fraktur",
    "medieval-illuminated",
    "medieval-textual",
    "modern-handwritten",
]


def test_every_shipped_profile_loads_and_its_plan_is_valid() -> None:
    profiles = load_profiles()

    assert sorted(profiles) == PROFILES
    for profile in profiles.values():
        assert validate_plan(profile.plan(), PromptTemplates()) == [], profile.name
        assert profile.plan().profile == profile.name


def test_an_unknown_profile_is_refused() -> None:
    with pytest.raises(ContractError, match="unknown corpus profile"):
        load_profile("papyri")


def test_the_default_plan_is_valid() -> None:
    assert validate_plan(Plan(), PromptTemplates()) == []


def test_a_plan_with_a_stage_template_using_earlier_stages_is_valid() -> None:
    plan = Plan(
        stages=[
            Stage(name="translation", engine="vlm", prompt="Translate into English:\n{{ text }}"),
            Stage(name="summary", engine="vlm", prompt="Summarise: {{ stages[0].output }}"),
        ]
    )

    assert validate_plan(plan, PromptTemplates()) == []


def test_every_problem_of_a_bad_plan_is_reported_with_its_place() -> None:
    plan = Plan(
        primary=EngineStep(engine="abbyy", when="engine_error"),
        fallbacks=[
            EngineStep(engine="vlm", when="confidence is low"),
            EngineStep(engine="tesseract", prompt="transcribe-page"),
            EngineStep(engine="vlm", prompt="Read {{ page_id "),
            EngineStep(engine="vlm", prompt="no-such-template"),
        ],
        stages=[
            Stage(name="t", engine="tesseract", prompt="{% for x in %}"),
            Stage(name="t", engine="vlm", prompt="Summarise {{ text }}"),
        ],
        profile="papyri",
    )

    problems = validate_plan(plan, PromptTemplates())

    assert [p.split(":")[0] for p in problems] == [
        "profile",
        "primary",
        "primary",
        "fallbacks[0].when",
        "fallbacks[1]",
        "fallbacks[2].prompt",
        "fallbacks[3].prompt",
        "stages[0] (t)",
        "stages[0] (t)",
        "stages[0] (t).prompt",
        "stages[1] (t)",
    ]
    assert "unknown corpus profile 'papyri'" in problems[0]
    assert "unknown engine 'abbyy'" in problems[1]
    assert "unknown prompt template 'no-such-template'" in problems[6]


def test_german_prints_try_two_language_sets_and_keep_the_more_confident() -> None:
    primary = load_profile("german-fraktur").plan().primary

    assert [run.languages for run in primary.runs()] == [["deu", "frk"], ["frk"]]
    assert primary.choose_by == "mean_word_confidence"


def test_a_plan_s_candidates_are_checked_like_steps() -> None:
    plan = Plan(
        primary=EngineStep(
            engine="tesseract",
            choose_by="vibes",
            candidates=[Candidate(languages=["deu"]), Candidate(engine="abbyy")],
        ),
        fallbacks=[EngineStep(engine="vlm", candidates=[Candidate(prompt="no-such-template")])],
    )

    problems = validate_plan(plan, PromptTemplates())

    assert [p.split(":")[0] for p in problems] == [
        "primary.choose_by",
        "primary.candidates[1]",
        "fallbacks[0].candidates[0].prompt",
    ]
    assert "unknown scorer 'vibes'" in problems[0]
    assert "unknown engine 'abbyy'" in problems[1]
