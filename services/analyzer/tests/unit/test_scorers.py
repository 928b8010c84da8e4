import logging

import pytest

from analyzer.domain.scorers import DEFAULT_SCORERS, Scorer, dictionary_like_share, score_analysis
from analyzer.testing import analysis_with
from contracts import PageAnalysis


def test_default_scorers_rate_an_analysis() -> None:
    scores = score_analysis(
        analysis_with("Li rois Artus, tint sa cort 1187.", 0.75, "x"), DEFAULT_SCORERS
    )

    assert scores == {"mean_word_confidence": 0.75, "dictionary_like": 1.0}


def test_noise_scores_low_on_dictionary_likeness() -> None:
    share = dictionary_like_share(analysis_with("Ze D0 N§G ;;; HELIE r3n", 0.2, "x"))

    assert share == pytest.approx(2 / 5)


def test_scores_are_clamped_and_a_failing_scorer_is_skipped(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(analysis: PageAnalysis) -> float:
        raise ZeroDivisionError("no words")

    scorers = [
        Scorer("too_high", lambda a: 7.5),
        Scorer("negative", lambda a: -1),
        Scorer("broken", broken),
    ]

    with caplog.at_level(logging.ERROR):
        scores = score_analysis(analysis_with("a", 0.5, "x"), scorers)

    assert scores == {"too_high": 1.0, "negative": 0.0}
    assert "scorer broken failed" in caplog.text
