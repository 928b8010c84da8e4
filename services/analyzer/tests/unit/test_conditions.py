import pytest

from analyzer.domain.conditions import Outcome, parse_condition
from analyzer.testing import analysis_with
from contracts.errors import ContractError, EngineFailed

confident = Outcome(analysis=analysis_with("clear words here", 0.9, "tesseract"))
doubtful = Outcome(analysis=analysis_with("blurred w0rds", 0.4, "tesseract"))
failed = Outcome(error=EngineFailed("boom"))


@pytest.mark.parametrize(
    ("condition", "outcome", "expected"),
    [
        ("mean_confidence < 0.6", doubtful, True),
        ("mean_confidence < 0.6", confident, False),
        ("mean_confidence < 0.6", failed, False),
        ("engine_error", failed, True),
        ("engine_error", doubtful, False),
        ("mean_confidence < 0.6 or engine_error", failed, True),
        ("word_count >= 3 and mean_confidence > 0.8", confident, True),
        ("word_count >= 3 and mean_confidence > 0.8", doubtful, False),
        ("line_count == 1", confident, True),
        ("empty", confident, False),
    ],
)
def test_conditions_judge_the_latest_outcome(
    condition: str, outcome: Outcome, expected: bool
) -> None:
    assert parse_condition(condition).holds(outcome) is expected


def test_a_score_condition_reads_the_named_score() -> None:
    analysis = analysis_with("a b", 0.9, "tesseract").model_copy(
        update={"scores": {"dictionary_like": 0.2}}
    )

    assert parse_condition("score.dictionary_like < 0.5").holds(Outcome(analysis=analysis))
    assert not parse_condition("score.unknown < 0.5").holds(Outcome(analysis=analysis))


@pytest.mark.parametrize(
    "text",
    [
        "",
        "mean_confidence <",
        "__import__('os').system('true')",
        "confidence < 0.5",
        "x or",
        "1 < 2",
    ],
)
def test_anything_outside_the_grammar_is_refused(text: str) -> None:
    with pytest.raises(ContractError):
        parse_condition(text)
